"""What-if for bench/load.py (an upper bound, not a design): the signed-in user is loaded from
a per-process dictionary instead of PostgreSQL, so a request costs no user query at all.

    .venv/bin/python bench/load.py --settings-module free_user_load
"""

from genlife.settings import *  # noqa: F403

MIDDLEWARE = ["free_user_load.FreeUserLoad", *MIDDLEWARE]  # noqa: F405


class FreeUserLoad:
    def __init__(self, get_response):
        from django.contrib.auth.backends import ModelBackend

        self.get_response = get_response
        original = ModelBackend.get_user
        users = {}

        def get_user(backend, user_id):
            if user_id not in users:
                users[user_id] = original(backend, user_id)
            return users[user_id]

        ModelBackend.get_user = get_user

    def __call__(self, request):
        return self.get_response(request)
