import factory
from allauth.account.models import EmailAddress

from members.models import Membership, User

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
