"""Error pages that never show a stack trace and never need the database."""
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseServerError
from django.template import loader


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return HttpResponseNotFound(loader.render_to_string("404.html", request=request))


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without the request context: the failure may be the database or a context processor.
    return HttpResponseServerError(loader.get_template("500.html").render())
