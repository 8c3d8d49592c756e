"""`is_member`, the one gate: who reads the members-only sections, and until when."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from billing.models import Membership
from billing.selectors import is_member
from tests.factories import StaffFactory, UserFactory

Status = Membership.Status
NOW = timezone.now()
DAY = dt.timedelta(days=1)


def member_with(**fields):
    user = UserFactory()
    Membership.objects.create(user=user, **fields)
    return type(user).objects.get(pk=user.pk)


def test_visitor_is_not_a_member():
    assert is_member(AnonymousUser()) is False


@pytest.mark.django_db
def test_registered_user_without_membership_is_not_a_member():
    assert is_member(UserFactory()) is False


@pytest.mark.django_db
def test_staff_are_members_without_paying():
    assert is_member(StaffFactory()) is True


@pytest.mark.django_db
def test_deactivated_user_is_not_a_member_even_when_paid():
    user = member_with(status=Status.ACTIVE, current_period_end=NOW + 10 * DAY)
    user.is_active = False
    assert is_member(user) is False


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"status": Status.ACTIVE, "current_period_end": NOW + 10 * DAY}, True),
        ({"status": Status.ACTIVE, "current_period_end": None}, True),
        # a renewal webhook a few minutes late does not lock a paying member out
        ({"status": Status.ACTIVE, "current_period_end": NOW - dt.timedelta(minutes=10)}, True),
        ({"status": Status.ACTIVE, "current_period_end": NOW - dt.timedelta(hours=1)}, False),
        ({"status": Status.TRIALING, "current_period_end": NOW + 3 * DAY}, True),
        ({"status": Status.COMPLIMENTARY}, True),
        ({"status": Status.COMPLIMENTARY, "complimentary_until": NOW + DAY}, True),
        ({"status": Status.COMPLIMENTARY, "complimentary_until": NOW - DAY}, False),
        ({"status": Status.PAST_DUE, "past_due_since": NOW - 2 * DAY}, True),
        ({"status": Status.PAST_DUE, "past_due_since": NOW - 8 * DAY}, False),
        ({"status": Status.UNPAID, "current_period_end": NOW + 10 * DAY}, False),
        ({"status": Status.CANCELED, "current_period_end": NOW - DAY}, False),
        ({"status": Status.INCOMPLETE}, False),
        ({"status": Status.NONE}, False),
    ],
)
def test_membership_statuses_open_the_gate_as_documented(fields, expected):
    assert is_member(member_with(**fields)) is expected


@pytest.mark.django_db
def test_grace_period_is_a_setting(settings):
    settings.MEMBERSHIP_PAST_DUE_GRACE_DAYS = 1
    assert is_member(member_with(status=Status.PAST_DUE, past_due_since=NOW - 2 * DAY)) is False


@pytest.mark.django_db
def test_is_member_accepts_the_user_by_keyword():
    assert is_member(user=member_with(status=Status.ACTIVE)) is True
