from django.contrib import admin, messages

from members.admin import UserAdmin
from members.models import User

from . import stripe_gateway
from .models import Membership, Plan, StripeEvent
from .services import memberships


class MembershipInline(admin.StackedInline):
    model = Membership
    can_delete = False
    extra = 0
    fields = [
        "status",
        "plan",
        "complimentary_until",
        "current_period_end",
        "cancel_at_period_end",
        "stripe_customer_id",
        "stripe_subscription_id",
    ]
    readonly_fields = [
        "current_period_end",
        "cancel_at_period_end",
        "stripe_customer_id",
        "stripe_subscription_id",
    ]


class UserWithMembershipAdmin(UserAdmin):
    """The identity app's user admin, with the membership shown on each user's page."""

    inlines = [*UserAdmin.inlines, MembershipInline]


admin.site.unregister(User)
admin.site.register(User, UserWithMembershipAdmin)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Members with their Stripe state. Grant a complimentary membership by setting the status
    to Complimentary (optionally with an end date); resync reads Stripe's state again."""

    list_display = [
        "user",
        "status",
        "plan",
        "current_period_end",
        "cancel_at_period_end",
        "complimentary_until",
        "stripe_customer_id",
        "stripe_subscription_id",
        "stripe_synced_at",
    ]
    list_filter = ["status", "plan", "cancel_at_period_end"]
    search_fields = ["user__email", "stripe_customer_id", "stripe_subscription_id"]
    list_select_related = ["user", "plan"]
    autocomplete_fields = ["user"]
    readonly_fields = [
        "plan",
        "current_period_end",
        "cancel_at_period_end",
        "past_due_since",
        "stripe_customer_id",
        "stripe_subscription_id",
        "stripe_synced_at",
        "checkout_started_at",
        "created",
        "updated",
    ]
    fields = ["user", "status", "complimentary_until", *readonly_fields]
    actions = ["resync_from_stripe"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else [f for f in self.readonly_fields if f != "user"]

    def save_model(self, request, obj, form, change):
        if obj.status == Membership.Status.COMPLIMENTARY:
            super().save_model(request, obj, form, change)
            memberships.membership_grant_complimentary(user=obj.user, until=obj.complimentary_until)
        else:
            super().save_model(request, obj, form, change)

    @admin.action(description="Resync selected memberships from Stripe")
    def resync_from_stripe(self, request, queryset):
        done, failed = 0, 0
        for membership in queryset.exclude(stripe_customer_id=""):
            try:
                memberships.membership_sync(membership_id=membership.pk)
                done += 1
            except stripe_gateway.StripeGatewayError:
                failed += 1
        self.message_user(request, f"Resynced {done} membership(s) from Stripe.")
        if failed:
            self.message_user(
                request, f"{failed} could not reach Stripe; try again.", messages.WARNING
            )


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "interval",
        "amount",
        "currency",
        "trial_days",
        "is_active",
        "stripe_price_id",
    ]
    list_editable = ["is_active"]
    readonly_fields = ["stripe_price_id"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "type", "status", "created", "received", "processed_at"]
    list_filter = ["status", "type"]
    search_fields = ["event_id"]
    readonly_fields = [
        "event_id",
        "type",
        "created",
        "payload",
        "status",
        "note",
        "received",
        "processed_at",
    ]

    def has_add_permission(self, request):
        return False
