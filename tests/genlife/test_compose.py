"""Docker does not run on our machines, so the compose file and Dockerfile are checked as text."""

import runpy
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_five_services_with_health_checks():
    services = _compose()["services"]
    assert set(services) == {"web", "worker", "beat", "postgres", "redis"}
    for name in ("web", "postgres", "redis", "worker"):
        assert "healthcheck" in services[name], name


def test_app_services_share_one_image_and_run_the_right_commands():
    services = _compose()["services"]
    for name in ("web", "worker", "beat"):
        assert services[name]["build"]["context"] == "."
    assert "gunicorn" in " ".join(services["web"]["command"])
    assert services["worker"]["command"][:4] == ["celery", "-A", "genlife", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "genlife", "beat"]


def test_app_services_are_configured_only_by_environment():
    compose = _compose()
    for name in ("web", "worker", "beat"):
        env = compose["services"][name]["environment"]
        for key in (
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "REDIS_URL",
            "DJANGO_SECRET_KEY",
            "DJANGO_ALLOWED_HOSTS",
            "DJANGO_DEBUG",
            "GENOME_ENCRYPTION_KEYS",
        ):
            assert key in env, (name, key)
        # Secrets are passed through from the host, never written in the file.
        assert env["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY")
        assert env["GENOME_ENCRYPTION_KEYS"].startswith("${GENOME_ENCRYPTION_KEYS")
    assert {"pgdata", "media"} <= set(compose["volumes"])


def test_worker_is_scalable_with_no_fixed_container_name():
    worker = _compose()["services"]["worker"]
    assert "container_name" not in worker
    assert "ports" not in worker


def test_dockerfile_installs_from_the_same_lock_file():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "requirements.lock" in dockerfile
    assert "pip install" in dockerfile and "-r requirements.lock" in dockerfile
    assert "collectstatic" in dockerfile
    assert "USER " in dockerfile, "the image must not run as root"


def test_web_serves_with_threaded_workers_from_the_shared_gunicorn_config():
    """Slow clients take threads, not whole workers (bench/slow_clients.py); the Dockerfile,
    docker-compose and the tests' servers all read the one gunicorn.conf.py."""
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert config["worker_class"] == "gthread"
    assert config["workers"] * config["threads"] >= 24
    # A worker with every thread taken leaves new connections to the others.
    assert config["worker_connections"] == config["threads"]
    web = " ".join(_compose()["services"]["web"]["command"])
    assert "gunicorn genlife.wsgi:application --config gunicorn.conf.py" in web
    assert "--workers" not in web and "--threads" not in web
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert '"gunicorn", "genlife.wsgi:application", "--config", "gunicorn.conf.py"' in dockerfile
    for server in ("tests/e2e/site.py", "tests/faults/processes.py"):
        assert '"gunicorn.conf.py"' in (ROOT / server).read_text(), server


def test_app_services_find_the_shared_services_and_bucket_through_the_environment():
    """On several machines (README, "Production shape") the services machine's address and
    the bucket come from the environment; on one machine they default to this file's services."""
    for name in ("web", "worker", "beat"):
        env = _compose()["services"][name]["environment"]
        assert "@${POSTGRES_HOST:-postgres}:5432/genlife" in env["DATABASE_URL"]
        assert env["CELERY_BROKER_URL"] == "${CELERY_BROKER_URL:-redis://redis:6379/0}"
        assert env["REDIS_URL"] == "${REDIS_URL:-redis://redis:6379/1}"
        for key in (
            "AWS_STORAGE_BUCKET_NAME",
            "AWS_S3_ENDPOINT_URL",
            "AWS_S3_REGION_NAME",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
        ):
            assert env[key] == "${" + key + ":-}", (name, key)
