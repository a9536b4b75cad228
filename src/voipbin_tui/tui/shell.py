"""How screens and widgets reach the app they run in: typed, so a misspelt attribute is a type
error, not a ``type: ignore``, a ``getattr`` with a default or a ``hasattr`` that hides it.

``app.py`` imports every screen, so a screen cannot import the app class at module level; the
accessor imports it when first asked, and checks it (a screen mounted in another app fails
loudly instead of reading attributes that are not there).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from textual.app import App

if TYPE_CHECKING:
    from voipbin_tui.api.models import Account
    from voipbin_tui.tui.app import VoipbinApp


class InAnApp(Protocol):
    """A screen, widget or app: anything Textual gives an ``app``."""

    @property
    def app(self) -> App[object]: ...


def voipbin_app_of(node: InAnApp) -> VoipbinApp:
    """The app ``node`` runs in, typed (for code handed a node: decorators, command providers)."""
    from voipbin_tui.tui.app import VoipbinApp

    app = node.app
    if not isinstance(app, VoipbinApp):
        raise TypeError(f"{type(node).__name__} runs inside VoipbinApp, not {type(app).__name__}")
    return app


class AppAccess:
    """Mixed into screens and widgets of voipbin-tui: ``self.voipbin_app`` is the app, typed."""

    @property
    def voipbin_app(self: InAnApp) -> VoipbinApp:
        return voipbin_app_of(self)


class ExplainsRefusals:
    """A node whose keys may be greyed out: ``refusal`` says why, and the app toasts it when
    such a key is pressed anyway."""

    def refusal(self, action: str) -> str:
        """Why ``action`` cannot run now, or "" when it can (or when there is nothing to say)."""
        return ""


class ShowsAnAccount:
    """A screen the user is on an account in (the list, a detail): the app's account actions
    apply to ``selected_account()``. (A base class rather than the screens themselves, so the
    app asks without importing every screen at start.)"""

    def selected_account(self) -> Account | None:
        raise NotImplementedError


class GuardsUnsavedChanges:
    """A screen that may hold unsaved changes (a form): ``q`` is a letter there while it does."""

    @property
    def is_dirty(self) -> bool:
        raise NotImplementedError
