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
    "  settings.SESSION_COOKIE_SAMESITE, settings.CSRF_COOKIE_SECURE,"
    "  settings.CSRF_COOKIE_HTTPONLY,"
    "  settings.CSRF_COOKIE_SAMESITE], 'hsts': settings.SECURE_HSTS_SECONDS,"
    " 'hashers': settings.PASSWORD_HASHERS}))"
)


def _run(args: list[str], extra_env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    keep = {"PATH", "HOME", "LANG", "PYTHONPATH", "SYSTEMROOT"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update({"DJANGO_SETTINGS_MODULE": "genlife.settings", "GENLIFE_DATA_DIR": str(tmp_path)})
    env.update(extra_env)
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
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
    env = {
        **PRODUCTION_ENV,
        "DJANGO_PASSWORD_HASHERS": "django.contrib.auth.hashers.MD5PasswordHasher",
    }
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)
    assert result.returncode != 0
    assert "genlife.E001" in result.stderr and "MD5PasswordHasher" in result.stderr


PRINT_SECRETS = (
    "import json, django; from django.conf import settings; django.setup();"
    "print(json.dumps({'secret': settings.SECRET_KEY, 'genome': settings.GENOME_ENCRYPTION_KEYS,"
    " 'stripe': settings.STRIPE_SECRET_KEY, 'webhook': settings.STRIPE_WEBHOOK_SECRET,"
    " 'fallbacks': settings.SECRET_KEY_FALLBACKS}))"
)


def test_secrets_that_begin_with_a_dollar_are_taken_as_given(tmp_path):
    # django-environ reads "$abc" as "the value of the variable abc"; Django's own key
    # generator makes keys that begin with "$", and Stripe or other secrets may too.
    secrets = {
        "DJANGO_SECRET_KEY": "$" + "k" * 50,
        "DJANGO_SECRET_KEY_FALLBACKS": "$old-key-" + "o" * 40,
        "STRIPE_SECRET_KEY": "$sk_live_example",
        "STRIPE_WEBHOOK_SECRET": "$whsec_example",
    }
    result = _run(["-c", PRINT_SECRETS], {**PRODUCTION_ENV, **secrets}, tmp_path)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["secret"] == secrets["DJANGO_SECRET_KEY"]
    assert values["fallbacks"] == [secrets["DJANGO_SECRET_KEY_FALLBACKS"]]
    assert values["stripe"] == secrets["STRIPE_SECRET_KEY"]
    assert values["webhook"] == secrets["STRIPE_WEBHOOK_SECRET"]
    assert values["genome"] == [PRODUCTION_ENV["GENOME_ENCRYPTION_KEYS"]]


def test_a_local_secret_key_that_begins_with_a_dollar_is_used_as_given(tmp_path):
    # The key given in the environment (as the test suite hands it to worker processes) is
    # the one used, not the checkout's generated key (nor a variable named "lll...").
    key = "$" + "l" * 50
    (tmp_path / "secret_key").write_text("the-checkout-key-" + "c" * 40)
    result = _run(["-c", PRINT_SECRETS], {"DJANGO_SECRET_KEY": key}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["secret"] == key


ROBOTS_AND_SITE_URL = (
    "import django; from django.conf import settings; django.setup();"
    "from django.test import Client;"
    "print(settings.SITE_URL);"
    "print(Client().get('/robots.txt', HTTP_HOST='localhost').content.decode())"
)


def test_absolute_links_follow_the_port_the_site_runs_on(tmp_path):
    # `PORT=8001 make run`: robots.txt's sitemap line (like canonical links, og:url, JSON-LD,
    # the feed and emails, which all start with SITE_URL) names port 8001.
    result = _run(["-c", ROBOTS_AND_SITE_URL], {"PORT": "8001"}, tmp_path)
    assert result.returncode == 0, result.stderr
    site_url, robots = result.stdout.split("\n", 1)
    assert site_url == "http://localhost:8001"
    assert "Sitemap: http://localhost:8001/sitemap.xml" in robots
    assert "8000" not in robots


def test_a_configured_site_url_wins_over_the_port(tmp_path):
    env = {"PORT": "8001", "GENLIFE_SITE_URL": "https://genlife.example/"}
    result = _run(["-c", ROBOTS_AND_SITE_URL], env, tmp_path)
    assert result.returncode == 0, result.stderr
    site_url, robots = result.stdout.split("\n", 1)
    assert site_url == "https://genlife.example"
    assert "Sitemap: https://genlife.example/sitemap.xml" in robots


PRINT_STORAGE = (
    "import django; from django.conf import settings; django.setup();"
    "from django.core.files.storage import storages; s = storages['default'];"
    "print(type(s).__name__);"
    "print(s.bucket.name, s.connection.meta.client.meta.endpoint_url)"
)


def test_s3_storage_takes_the_empty_values_compose_passes_for_unset_variables(tmp_path):
    # docker-compose.yml passes AWS_S3_ENDPOINT_URL and AWS_S3_REGION_NAME through, as "" when
    # they are unset (storage on Amazon S3 itself): the client is built for Amazon's endpoint.
    env = {
        **PRODUCTION_ENV,
        "AWS_STORAGE_BUCKET_NAME": "genlife-media",
        "AWS_S3_ENDPOINT_URL": "",
        "AWS_S3_REGION_NAME": "",
        "AWS_ACCESS_KEY_ID": "",
        "AWS_SECRET_ACCESS_KEY": "",
    }
    result = _run(["-c", PRINT_STORAGE], env, tmp_path)
    assert result.returncode == 0, result.stderr
    backend, where = result.stdout.strip().split("\n")
    assert backend == "S3Storage"
    bucket, endpoint = where.split()
    assert bucket == "genlife-media" and endpoint.startswith("https://s3.")
    assert endpoint.endswith(".amazonaws.com")
