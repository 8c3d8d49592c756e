"""devstripe, the development stand-in: what the journeys do not show.

Every API call the site makes, the Pay and portal buttons and the webhooks they send are
exercised through the site in tests/members and tests/e2e; here, only a declined card and a
call the site never makes.
"""

import json
import urllib.error
import urllib.request

import pytest
from django.urls import reverse

from tests.factories import UserFactory


@pytest.mark.django_db
def test_a_declined_card_shows_the_error_and_creates_nothing(client, plans, stripe_settings):
    client.force_login(UserFactory())
    checkout = client.post(reverse("billing:join_checkout"), {"plan": "monthly"}).url
    request = urllib.request.Request(checkout, data=b"card=4000+0000+0000+0002", method="POST")
    with pytest.raises(urllib.error.HTTPError) as declined:
        urllib.request.urlopen(request, timeout=30)
    assert declined.value.code == 402
    assert "Your card was declined." in declined.value.read().decode()
    assert stripe_settings.account.subscriptions == {} and stripe_settings.account.events == []


def test_calls_the_site_never_makes_answer_404_in_stripes_shape(stripe_settings):
    request = urllib.request.Request(
        stripe_settings.base_url + "/v1/invoices",
        headers={"Authorization": "Bearer sk_test_anything"},
    )
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(request, timeout=30)
    assert missing.value.code == 404
    error = json.loads(missing.value.read())["error"]
    assert error["type"] == "invalid_request_error" and "only the calls" in error["message"]
