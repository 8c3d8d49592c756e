"""The benchmark's floor view exists only when GENLIFE_BENCH_FLOOR asks for it."""

import importlib

import pytest
from django.test import override_settings
from django.urls import clear_url_caches

import genlife.urls


@pytest.fixture
def urls_with_floor():
    """Rebuild the URL configuration as a process started with GENLIFE_BENCH_FLOOR=1 has it."""
    with override_settings(GENLIFE_BENCH_FLOOR=True):
        importlib.reload(genlife.urls)
        clear_url_caches()
    yield
    importlib.reload(genlife.urls)
    clear_url_caches()


def test_floor_view_is_not_routed_by_default(client, db, settings):
    assert settings.GENLIFE_BENCH_FLOOR is False
    response = client.get("/bench/floor")
    assert response.status_code == 404
    assert response.content != b"floor\n"


def test_floor_view_answers_through_the_full_middleware_when_enabled(client, db, urls_with_floor):
    response = client.get("/bench/floor")
    assert response.status_code == 200
    assert response.content == b"floor\n"
    # Middleware still ran: the security headers every page carries are on it.
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in response


def test_floor_view_refuses_writes(client, db, urls_with_floor):
    assert client.post("/bench/floor").status_code == 405
