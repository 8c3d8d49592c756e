"""What-if for bench/load.py: tracking off and sessions read through the cache (Redis).

    .venv/bin/python bench/load.py \
        --settings-module tracking_off_cached_sessions
"""

from genlife.settings import *  # noqa: F403

USERSESSIONS_TRACK_ACTIVITY = False
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
