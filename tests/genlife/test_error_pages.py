"""When the database is down the site answers fast with a friendly 503, not a stack trace."""

import pytest
from django.db import OperationalError
from django.urls import path


def _database_down(request):
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed')


def _broken(request):
    raise ValueError("a programming error")


urlpatterns = [path("db-down/", _database_down), path("broken/", _broken)]
handler500 = "genlife.errors.server_error"  # as genlife/urls.py sets it


@pytest.fixture
def error_client(client, settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    client.raise_request_exception = False
    return client


def test_database_outage_gives_a_friendly_503_with_retry_after(error_client):
    response = error_client.get("/db-down/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    html = response.content.decode()
    assert "Back in a moment" in html
    assert "5432" not in html and "Traceback" not in html


def test_other_errors_give_the_500_page_without_detail(error_client):
    response = error_client.get("/broken/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    assert "programming error" not in response.content.decode()
