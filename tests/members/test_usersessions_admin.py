"""Support can search the signed-in sessions in the admin by email address or IP."""

import pytest
from allauth.usersessions.models import UserSession
from django.urls import reverse

from tests.factories import StaffFactory, UserFactory, sign_in_with_two_factor


@pytest.mark.django_db
def test_user_sessions_admin_search_finds_sessions_by_email_and_ip(client):
    staff = StaffFactory(is_superuser=True)
    sign_in_with_two_factor(client, staff)
    ada, bob = UserFactory(email="ada@example.com"), UserFactory(email="bob@example.com")
    for person, ip in ((ada, "203.0.113.7"), (bob, "198.51.100.9")):
        UserSession.objects.create(
            user=person, ip=ip, session_key=f"key-{person.pk}", user_agent="test-browser"
        )
    url = reverse("admin:usersessions_usersession_changelist")

    by_email = client.get(url, {"q": "ada@"})
    assert by_email.status_code == 200
    assert "ada@example.com" in by_email.content.decode()
    assert "bob@example.com" not in by_email.content.decode()

    by_ip = client.get(url, {"q": "198.51.100"})
    assert by_ip.status_code == 200
    assert "bob@example.com" in by_ip.content.decode()
    assert "ada@example.com" not in by_ip.content.decode()
