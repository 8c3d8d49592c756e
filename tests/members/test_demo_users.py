"""The local demo logins: an editor who needs no second factor, and a member."""

import pytest
from django.core.management import CommandError, call_command

from billing.selectors import is_member
from members.models import User

pytestmark = pytest.mark.django_db


def test_demo_users_exist_only_in_local_mode(settings):
    settings.LOCAL_MODE = False
    with pytest.raises(CommandError):
        call_command("create_demo_users")


def test_demo_editor_writes_articles_but_cannot_reach_genetic_data(client, settings):
    settings.LOCAL_MODE = True
    call_command("create_demo_users")
    call_command("create_demo_users")  # running again resets, never duplicates
    editor = User.objects.get(email="admin@genlife.local")
    assert editor.is_staff and not editor.is_superuser
    assert editor.has_perm("articles.change_article") and editor.has_perm("genotypes.add_snp")
    assert not editor.has_perm("genotypes.view_genetic_data")
    assert not editor.has_perm("genotypes.view_genomeupload")

    client.force_login(editor)
    assert client.get("/admin/articles/article/").status_code == 200
    assert client.get("/admin/genotypes/snp/").status_code == 200
    assert client.get("/admin/genotypes/genomeupload/").status_code in (403, 404)
    assert is_member(User.objects.get(email="member@genlife.local"))
