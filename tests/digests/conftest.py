import pytest


@pytest.fixture(autouse=True)
def _digest_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
