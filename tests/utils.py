"""Helpers for tests (import from here, never from conftest)."""

import time

import pytest

# PBKDF2 spends ~300 ms a hash on purpose, and the suite hashes hundreds of passwords. Tests and
# every process they start (web servers, workers, manage.py) use Django's MD5 hasher instead, as
# cookiecutter-django's test settings do. Production keeps Django's default: genlife/settings.py
# reads DJANGO_PASSWORD_HASHERS, and `check --deploy` refuses a fast hasher (genlife/checks.py).
TEST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def wait_until(
    predicate,
    *,
    timeout: float = 30.0,
    interval: float = 0.2,
    message: str = "",
    raise_on_timeout: bool = True,
):
    """Poll `predicate` until it returns a truthy value and return that value.

    After `timeout` seconds fail the test, or return the last (falsy) value when
    `raise_on_timeout` is false so that the caller can build a message from fresh state.
    """
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    if not value and raise_on_timeout:
        pytest.fail(message or f"condition not met within {timeout} s")
    return value
