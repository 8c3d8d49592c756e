"""PostgreSQL connections: a pool per process by default, no health-check round trip per
request; persistent connections with health checks when the pool is turned off."""

import json

from .test_settings import PRODUCTION_ENV, _run

PRINT_DATABASE = (
    "import json, django; from django.conf import settings; django.setup();"
    "db = settings.DATABASES['default'];"
    "print(json.dumps({'age': db['CONN_MAX_AGE'], 'health': db['CONN_HEALTH_CHECKS'],"
    " 'pool': db['OPTIONS'].get('pool'),"
    " 'prepare': db['OPTIONS'].get('prepare_threshold', 'unset')}))"
)


def _database_settings(tmp_path, **extra) -> dict:
    result = _run(["-c", PRINT_DATABASE], {**PRODUCTION_ENV, **extra}, tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_pools_connections_without_a_check_per_request(tmp_path):
    values = _database_settings(tmp_path)
    assert values["pool"] == {"min_size": 1, "max_size": 8, "timeout": 3.0}
    assert values["age"] == 0  # Django refuses persistent connections beside a pool
    assert values["health"] is False
    assert values["prepare"] == "unset"  # Django's default: off, safe behind PgBouncer


def test_the_pool_can_be_turned_off_or_sized_and_statements_prepared(tmp_path):
    values = _database_settings(tmp_path, DJANGO_DB_POOL="false")
    assert values["pool"] is None
    assert values["age"] == 60 and values["health"] is True
    values = _database_settings(
        tmp_path,
        DJANGO_DB_POOL_MAX_SIZE="3",
        DJANGO_DB_POOL_CHECK="true",
        DJANGO_DB_PREPARE_THRESHOLD="5",
    )
    assert values["pool"]["max_size"] == 3
    assert values["health"] is True
    assert values["prepare"] == 5
