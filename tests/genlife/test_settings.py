"""Settings come from the environment: an embedded default with none, production with some."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/genlife_settings_check",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/9",
    "REDIS_URL": "redis://127.0.0.1:6379/9",
    "DJANGO_SECRET_KEY": "a-production-like-secret-key-" + "x" * 40,
    "DJANGO_ALLOWED_HOSTS": "genlife.example",
    "DJANGO_DEBUG": "false",
    "GENOME_ENCRYPTION_KEYS": "p4J7d0c9yXbXxXQmRk5z7e2mO3a1Qy8vNw6sL2tU0iE=",
}

PRINT_SETTINGS = (
    "import json, django; from django.conf import settings; django.setup();"
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'],"
    " 'debug': settings.DEBUG, 'broker': settings.CELERY_BROKER_URL,"
    " 'email': settings.EMAIL_BACKEND, 'cache': settings.CACHES['default']['BACKEND'],"
    " 'health': settings.DATABASES['default']['CONN_HEALTH_CHECKS'], 'tz': settings.USE_TZ,"
    " 'user': settings.AUTH_USER_MODEL,"
    " 'cookies': [settings.SESSION_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY,"
    "  settings.SESSION_COOKIE_SAMESITE, settings.CSRF_COOKIE_SECURE, settings.CSRF_COOKIE_HTTPONLY,"
    "  settings.CSRF_COOKIE_SAMESITE], 'hsts': settings.SECURE_HSTS_SECONDS,"
    " 'hashers': settings.PASSWORD_HASHERS}))"
)


def _run(args: list[str], extra_env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    keep = {"PATH", "HOME", "LANG", "PYTHONPATH", "SYSTEMROOT"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update({"DJANGO_SETTINGS_MODULE": "genlife.settings", "GENLIFE_DATA_DIR": str(tmp_path)})
    env.update(extra_env)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        check=False,
    )


def test_no_environment_gives_the_embedded_local_default(tmp_path):
    result = _run(["-c", PRINT_SETTINGS], {}, tmp_path)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["debug"] is True
    assert values["broker"] == "filesystem://"
    assert values["email"] == "django.core.mail.backends.console.EmailBackend"
    assert values["cache"].endswith("FileBasedCache")
    assert values["health"] is True and values["tz"] is True
    assert values["user"] == "members.User"
    assert (tmp_path / "secret_key").exists()


def test_production_environment_gives_postgres_redis_and_no_debug(tmp_path):
    result = _run(["-c", PRINT_SETTINGS], PRODUCTION_ENV, tmp_path)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["debug"] is False
    assert values["broker"] == "redis://127.0.0.1:6379/9"
    assert values["cache"].endswith("RedisCache")
    assert values["cookies"] == [True, True, "Lax", True, True, "Lax"]
    assert values["hsts"] >= 31536000
    # The test suite's fast hasher is never the production default.
    assert values["hashers"][0] == "django.contrib.auth.hashers.PBKDF2PasswordHasher"


@pytest.mark.parametrize("secret", ["DJANGO_SECRET_KEY", "GENOME_ENCRYPTION_KEYS"])
def test_production_refuses_to_start_without_its_secrets(tmp_path, secret):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != secret}
    result = _run(["-c", PRINT_SETTINGS], env, tmp_path)
    assert result.returncode != 0
    assert secret in result.stderr


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV, tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_refuses_a_fast_password_hasher(tmp_path):
    env = {**PRODUCTION_ENV,
           "DJANGO_PASSWORD_HASHERS": "django.contrib.auth.hashers.MD5PasswordHasher"}
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)
    assert result.returncode != 0
    assert "genlife.E001" in result.stderr and "MD5PasswordHasher" in result.stderr
