"""Places on the identity app's pages where apps above it add their part.

The identity app imports none of them: an app registers a panel in its ``AppConfig.ready``
(billing adds the membership panel to the account page), and the page renders whatever is
registered, in registration order.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest

AccountPanel = Callable[[HttpRequest], str]

_account_panels: dict[str, AccountPanel] = {}


def account_panel_register(*, name: str, panel: AccountPanel) -> None:
    """Show ``panel(request)`` (an HTML fragment) on the account page; one panel per name."""
    _account_panels[name] = panel


def account_panels_render(*, request: HttpRequest) -> list[str]:
    return [panel(request) for panel in _account_panels.values()]
