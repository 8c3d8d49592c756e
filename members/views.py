from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .selectors import is_member


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(request, "members/account.html", {"is_member": is_member(request.user)})
