from allauth.mfa.models import Authenticator
from allauth.usersessions.admin import UserSessionAdmin as BaseUserSessionAdmin
from allauth.usersessions.models import UserSession
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.admin.utils import model_ngettext
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse

from .models import User
from .services import users


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["name"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]

    # Deleting a user here goes through the account-deletion service, like the member's own
    # "delete my account": billing ends the Stripe customer, genotypes erases the files and
    # results and writes the audit row (with the staff member as actor), stored Stripe
    # payloads go. When Stripe cannot be reached nothing is deleted and the admin says so.
    # Django's delete view wraps the deletion in one transaction; the service keeps Stripe
    # calls and file deletions outside transactions, so the view runs without it.
    def delete_view(self, request, object_id, extra_context=None):
        if request.method == "POST":
            return self._delete_view(request, object_id, extra_context)
        return super().delete_view(request, object_id, extra_context)

    def log_deletions(self, request, queryset):
        """Logged by _users_delete, once each deletion has happened."""

    def delete_model(self, request, obj):
        self._users_delete(request, [obj])

    def delete_queryset(self, request, queryset):
        self._users_delete(request, list(queryset))

    def response_delete(self, request, obj_display, obj_id):
        if getattr(request, "_users_delete_refused", None):
            change = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                args=[obj_id],
                current_app=self.admin_site.name,
            )
            return HttpResponseRedirect(change)
        return super().response_delete(request, obj_display, obj_id)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _, name, description = actions["delete_selected"]
            actions[name] = (type(self).users_delete_selected, name, description)
        return actions

    def users_delete_selected(self, request, queryset):
        """Django's "delete selected" (its confirmation page first), deleting through the
        account-deletion service and saying which accounts were not deleted."""
        if not request.POST.get("post"):
            return delete_selected(self, request, queryset)
        _, _, perms_needed, protected = self.get_deleted_objects(queryset, request)
        if protected:
            return delete_selected(self, request, queryset)  # Django's page says why
        if perms_needed:
            raise PermissionDenied
        deleted = self._users_delete(request, list(queryset))
        if deleted:
            self.message_user(
                request,
                f"Deleted {deleted} {model_ngettext(self.opts, deleted)}.",
                messages.SUCCESS,
            )
        return None

    def _users_delete(self, request, people: list[User]) -> int:
        """Delete each user through the service; returns how many went. A refused deletion
        (Stripe unreachable) leaves that account untouched and is reported to the admin."""
        content_type = ContentType.objects.get_for_model(User)
        deleted = 0
        for person in people:
            pk, display = person.pk, str(person)
            try:
                users.user_delete(user=person, actor=request.user)
            except users.UserDeleteRefused as exc:
                request._users_delete_refused = True
                self.message_user(request, f"{display} was not deleted: {exc}", messages.ERROR)
                continue
            LogEntry.objects.create(
                user_id=request.user.pk,
                content_type=content_type,
                object_id=str(pk),
                object_repr=display[:200],
                action_flag=DELETION,
            )
            deleted += 1
        return deleted


# allauth's own admin for authenticators shows the `data` field, which holds the TOTP secret
# and the recovery-code seed in clear: whoever read it could make the owner's codes. This one
# shows who has which second factor and lets support remove one (a lost phone), nothing more.
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    list_display = ["user", "type", "created_at", "last_used_at"]
    list_filter = ["type"]
    search_fields = ["user__email"]
    fields = ["user", "type", "created_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# allauth's admin for signed-in sessions searches ``user__username``, which our user model
# does not have (the email address is the login): every search answered 500.
admin.site.unregister(UserSession)


@admin.register(UserSession)
class UserSessionAdmin(BaseUserSessionAdmin):
    search_fields = ["user__email", "ip"]
