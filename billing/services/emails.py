"""The membership emails (welcome, payment failed, ending, ended), sent by a worker."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from billing.models import Membership
from genlife import queue
from members.services.emails import email_send


def _tasks():
    """The tasks module, imported on first use (it imports this one)."""
    from billing import tasks

    return tasks


class MembershipEmail:
    WELCOME = "welcome"
    PAYMENT_FAILED = "payment_failed"
    ENDING = "ending"
    ENDED = "ended"


def membership_email_enqueue(*, membership_id: int, kind: str) -> None:
    queue.task_send_on_commit(_tasks().membership_email_send, membership_id, kind)


def membership_email_send(*, membership_id: int, kind: str) -> None:
    membership = Membership.objects.select_related("user", "plan").filter(pk=membership_id).first()
    if membership is None:
        return
    site = settings.SITE_URL
    email_send(
        to=membership.user.email,
        template=f"email/billing/{kind}",
        context={
            "name": membership.user.get_short_name(),
            "membership": membership,
            "account_url": site + reverse("members:account"),
            "fix_card_url": site + reverse("billing:fix_card"),
            "join_url": site + reverse("billing:join"),
            "genetics_url": site + reverse("genotypes:mine"),
        },
    )
