"""What-if for bench/load.py: allauth's session-activity tracking turned off.

.venv/bin/python bench/load.py --settings-module tracking_off
"""

from genlife.settings import *  # noqa: F403

USERSESSIONS_TRACK_ACTIVITY = False
