"""With Redis really down, sign-in security checks fail closed (a TOTP code is never taken
without being marked used, attempts are never let through uncounted), with a clear "try
again in a moment"; reading pages still work."""

import uuid

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse

from tests.factories import TEST_PASSWORD, UserFactory, totp_code
from tests.faults.processes import RedisServer

TRY_AGAIN = "Please try again in a moment"


@pytest.fixture
def redis_cache(settings, tmp_path, monkeypatch):
    """The site's Redis cache backend on a private redis-server this test can stop."""
    from genlife import cache as resilient

    server = RedisServer(tmp_path / "redis.log")
    server.start()
    monkeypatch.setattr(resilient, "_down_until", 0.0)
    settings.CACHES = {
        "default": {
            "BACKEND": "genlife.cache.ResilientRedisCache",
            "LOCATION": server.url(1),
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.django_db
def test_totp_code_is_refused_with_try_again_while_redis_is_down(client, redis_cache):
    user = UserFactory()
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302 and response.url == reverse("mfa_authenticate")

    redis_cache.stop()
    code = totp_code(secret)
    for _ in range(2):  # neither the first nor a repeated use of the code gets in
        response = client.post(reverse("mfa_authenticate"), {"code": code})
        assert response.status_code == 503
        assert TRY_AGAIN in response.content.decode()
        assert response["Retry-After"]
        assert client.get(reverse("members:account")).status_code == 302  # not signed in


@pytest.mark.django_db
def test_password_sign_in_is_refused_with_try_again_while_redis_is_down(client, redis_cache):
    user = UserFactory()
    redis_cache.stop()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 503
    assert TRY_AGAIN in response.content.decode()
    assert client.get(reverse("members:account")).status_code == 302  # not signed in


@pytest.mark.django_db
def test_reading_pages_still_work_while_redis_is_down(client, redis_cache):
    redis_cache.stop()
    assert client.get(reverse("articles:home")).status_code == 200
    assert client.get(reverse("account_login")).status_code == 200
    assert client.get(reverse("billing:join")).status_code == 200
