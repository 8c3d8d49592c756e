import factory
from allauth.account.models import EmailAddress

from billing.models import Membership
from members.models import User

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Faker("name")
    password = factory.django.Password(TEST_PASSWORD)

    @factory.post_generation
    def verified_email(obj, create, extracted, **kwargs):
        if create:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    status = Membership.Status.ACTIVE


class MemberFactory(UserFactory):
    """A user with an active membership."""

    membership = factory.RelatedFactory(MembershipFactory, factory_related_name="user")


class StaffFactory(UserFactory):
    is_staff = True


def sign_in_with_two_factor(client, user) -> None:
    """Log `user` in as if through allauth's password and TOTP steps (the admin asks for both
    from staff who hold the genetic-data permission, superusers included)."""
    from allauth.account.internal.flows.login import record_authentication
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.test import RequestFactory

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, generate_totp_secret())
    client.force_login(user)
    request = RequestFactory().get("/")
    request.session = client.session
    record_authentication(request, user, "password")
    record_authentication(request, user, "mfa", type="totp")
    request.session.save()


def totp_code(secret: str) -> str:
    """The authenticator-app code for `secret` in the current 30-second period.

    Not the first counter of allauth's tolerance window, which is the previous period: a test
    that crosses a period boundary between typing and checking that code would be refused.
    """
    import time

    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal import auth as totp

    counter = int(time.time()) // app_settings.TOTP_PERIOD
    return totp.format_hotp_value(totp.hotp_value(secret, counter))
