from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .selectors import snp_catalogue


def index(request: HttpRequest) -> HttpResponse:
    """What genlife reads from a raw DNA file, and which variants the articles cover."""
    return render(request, "genotypes/index.html", {"snps": snp_catalogue()})
