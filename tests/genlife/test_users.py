from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError
from django.utils import timezone

from billing.models import Membership
from billing.selectors import is_member
from members.models import User
from tests.factories import MemberFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_users_log_in_with_email_and_have_no_username():
    user = User.objects.create_user(email="Reader@Example.COM", password="pw-123456789")
    assert user.email == "reader@example.com"
    assert not hasattr(user, "username")
    assert user.check_password("pw-123456789")


def test_database_refuses_mixed_case_email():
    with pytest.raises(IntegrityError):
        User.objects.bulk_create([User(email="Mixed@Example.com")])


def test_anonymous_and_plain_users_are_not_members():
    assert not is_member(AnonymousUser())
    assert not is_member(UserFactory())


def test_active_member_and_staff_are_members():
    assert is_member(MemberFactory())
    assert is_member(StaffFactory())


@pytest.mark.parametrize("status", [Membership.Status.CANCELED, Membership.Status.UNPAID])
def test_ended_memberships_do_not_count(status):
    member = MemberFactory()
    Membership.objects.filter(user=member).update(status=status)
    assert not is_member(member)


def test_membership_past_its_period_end_does_not_count():
    member = MemberFactory()
    Membership.objects.filter(user=member).update(
        current_period_end=timezone.now() - timedelta(hours=1)
    )
    assert not is_member(member)
