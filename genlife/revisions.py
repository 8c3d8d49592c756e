"""Revisions of editorial content (django-reversion): the diff of one revision against the one
before it, restoring a revision, and the admin views for both. It knows no app.

Each admin save of a registered object stores one revision: the object and everything it
follows (an article with its sections, references and findings; a SNP with its
interpretations and frequencies), with who and when. ``RevisionAdminMixin`` adds, per entry
of an object's history, a page listing what that save changed, field by field, with a
button that restores the object as it was after that save.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass

import reversion
from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from reversion.admin import VersionAdmin
from reversion.models import Version


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str
    after: str
    lines: list[tuple[str, str]]  # (kind: "add" | "remove" | "same" | "skip", text)


@dataclass(frozen=True)
class ObjectChange:
    label: str  # e.g. "Section: What it is"
    kind: str  # "added" | "removed" | "changed"
    fields: list[FieldChange]


def _fields(version: Version) -> dict[str, str]:
    data = json.loads(version.serialized_data)[0]["fields"]
    return {name: _text(value) for name, value in data.items()}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return "\n".join(value)
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _lines(before: str, after: str) -> list[tuple[str, str]]:
    """A line diff with three lines of context; '...' between distant hunks."""
    out: list[tuple[str, str]] = []
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=3)
    for line in diff:
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            out.append(("skip", "…"))
        elif line.startswith("+"):
            out.append(("add", line[1:]))
        elif line.startswith("-"):
            out.append(("remove", line[1:]))
        else:
            out.append(("same", line[1:]))
    return out


def _label(version: Version) -> str:
    return f"{version.content_type.model_class()._meta.verbose_name.capitalize()}: " + (
        version.object_repr
    )


def previous_version(version: Version) -> Version | None:
    """The version of the same object saved just before this one."""
    return (
        Version.objects.get_for_object_reference(
            version.content_type.model_class(), version.object_id
        )
        .filter(pk__lt=version.pk)
        .order_by("-pk")
        .first()
    )


def revision_changes(*, version: Version) -> list[ObjectChange]:
    """What the save that made ``version`` changed, against the object's previous revision:
    each object it follows added, removed or changed, with a line diff of each changed field."""
    before_version = previous_version(version)
    after = {(v.content_type_id, v.object_id): v for v in version.revision.version_set.all()}
    before = (
        {(v.content_type_id, v.object_id): v for v in before_version.revision.version_set.all()}
        if before_version
        else {}
    )
    changes = []
    for key in [*after, *(k for k in before if k not in after)]:
        old, new = before.get(key), after.get(key)
        old_fields = _fields(old) if old else {}
        new_fields = _fields(new) if new else {}
        fields = [
            FieldChange(
                field=name,
                before=old_fields.get(name, ""),
                after=new_fields.get(name, ""),
                lines=_lines(old_fields.get(name, ""), new_fields.get(name, "")),
            )
            for name in dict.fromkeys([*new_fields, *old_fields])
            if old_fields.get(name, "") != new_fields.get(name, "")
        ]
        if not fields:
            continue
        kind = "added" if old is None else "removed" if new is None else "changed"
        changes.append(ObjectChange(label=_label(new or old), kind=kind, fields=fields))
    return changes


def revision_restore(*, version: Version, user, after_restore=None) -> None:
    """Put the object (and everything it follows) back as ``version``'s revision saved it:
    objects added since are deleted. The restore is itself a new revision, by ``user``."""
    when = date_format(version.revision.date_created, "j F Y, H:i")
    with transaction.atomic(), reversion.create_revision():
        version.revision.revert(delete=True)
        obj = version.content_type.model_class()._default_manager.get(pk=version.object_id)
        if after_restore is not None:
            after_restore(obj)
        reversion.add_to_revision(obj)
        reversion.set_user(user)
        reversion.set_comment(f"Restored the version of {when}.")


class RevisionAdminMixin(VersionAdmin):
    """History with a diff and a one-click restore per entry (on top of django-reversion's
    own history and revision pages). ``revision_restored`` is called with the restored object
    inside the restoring transaction (e.g. to render an article again)."""

    object_history_template = "admin/revisions/object_history.html"
    history_latest_first = True

    def revision_restored(self, obj) -> None:
        pass

    def get_urls(self):
        opts = self.model._meta
        info = opts.app_label, opts.model_name
        return [
            path(
                "<path:object_id>/history/<int:version_id>/changes/",
                self.admin_site.admin_view(self.revision_changes_view),
                name="{}_{}_revision_changes".format(*info),
            ),
            *super().get_urls(),
        ]

    def _version_for(self, request: HttpRequest, object_id: str, version_id: int) -> Version:
        obj = get_object_or_404(self.model, pk=unquote(object_id))
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        version = (
            Version.objects.get_for_object(obj)
            .select_related("revision", "revision__user")
            .filter(pk=version_id)
            .first()
        )
        if version is None:
            raise Http404("No such revision of this object")
        return version

    def revision_changes_view(
        self, request: HttpRequest, object_id: str, version_id: int
    ) -> HttpResponse:
        version = self._version_for(request, object_id, version_id)
        opts = self.model._meta
        history_url = reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_history",
            args=[quote(version.object_id)],
        )
        if request.method == "POST":
            revision_restore(
                version=version, user=request.user, after_restore=self.revision_restored
            )
            messages.success(request, "Restored. The restore is kept as a revision of its own.")
            return HttpResponseRedirect(history_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "title": f"Changes saved {date_format(version.revision.date_created, 'j F Y, H:i')}",
            "object": version.object,
            "version": version,
            "changes": revision_changes(version=version),
            "is_first": previous_version(version) is None,
            "history_url": history_url,
        }
        return TemplateResponse(request, "admin/revisions/revision_changes.html", context)

    def history_view(self, request, object_id, extra_context=None):
        opts = self.model._meta
        name = f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_revision_changes"
        return super().history_view(
            request, object_id, {**(extra_context or {}), "changes_url_name": name}
        )
