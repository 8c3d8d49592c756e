"""Security headers on every kind of page, as a browser receives them over HTTPS."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = ["/", "/healthz", "/no-such-page/", "/accounts/login/", "/accounts/signup/", "/genetics/"]


def _csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.strip().split()
        directives[name] = values
    return directives


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_the_security_headers(client, settings, path):
    settings.SECURE_HSTS_SECONDS = 31536000  # what production sends; local mode sends none
    response = client.get(path, secure=True)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    directives = _csp_directives(response)
    assert directives["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in directives.get("default-src", [])
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]


def test_pages_contain_no_inline_script_code(client):
    """With script-src 'self', inline code would be blocked: keep templates free of it."""
    for path in [
        "/",
        reverse("account_login"),
        reverse("account_signup"),
        reverse("genotypes:index"),
    ]:
        html = client.get(path).content.decode()
        for chunk in html.split("<script")[1:]:
            tag, _, rest = chunk.partition(">")
            body = rest.split("</script>")[0].strip()
            assert "src=" in tag or 'type="application/ld+json"' in tag or not body, (path, tag)
        assert " onclick=" not in html and " onload=" not in html and "javascript:" not in html
