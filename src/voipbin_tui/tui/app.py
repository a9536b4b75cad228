"""The Textual app: owns the connection, the read-only keys and every mutating action.

Mutating actions (new, edit, delete, send) live here so that ``check_action`` is the one place
that greys their keys under ``--read-only``; the connection's clients refuse the changes
themselves. Screens bind keys to ``app.*`` actions.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlsplit

from textual import events
from textual.actions import ActionParseResult
from textual.app import App
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.dom import DOMNode
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.reactive import reactive

from voipbin_tui.account_cache import AccountCache
from voipbin_tui.api.errors import NotFound, VoipbinError
from voipbin_tui.presentation import STAYS_DELETED, deleted_account_notice, error_message, local_time
from voipbin_tui.terminal_text import multi_line, one_line
from voipbin_tui.traffic import verdict_label
from voipbin_tui.tui.commands import AccountCommands
from voipbin_tui.tui.fitting import Part
from voipbin_tui.tui.key_order import KeyOrder
from voipbin_tui.tui.messages import AccountDeleted, AccountSaved, ConnectFailed, ConnectionReady, LastSeenWithdrawn
from voipbin_tui.tui.screens.accounts import AccountsScreen
from voipbin_tui.tui.shell import ExplainsRefusals, GuardsUnsavedChanges, ShowsAnAccount
from voipbin_tui.tui.widgets.keys_help import KeysHelp
from voipbin_tui.tui.workers import background

if TYPE_CHECKING:
    # The first frame (the accounts screen, the list last seen) needs Textual and the standard
    # library only: the client, the models, the other screens and the workflows are imported
    # where they are first used, once the connection is being opened (a test holds this).
    from voipbin_tui.api.client import VoipbinClient
    from voipbin_tui.api.feed import CapturedRequest, FeedClient
    from voipbin_tui.api.models import Account
    from voipbin_tui.connection import Connection

ConnectionOpener = Callable[[], AbstractAsyncContextManager["Connection"]]


@dataclass(frozen=True, slots=True)
class Startup:
    """What resolving the command line gives the app, when that happens after the first frame
    (a launch record drew it): how to connect, what to tell the user, the target's list."""

    open_connection: ConnectionOpener
    account_cache: AccountCache | None
    notices: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """Also printed on stderr once the TUI has left the terminal (the notices' first lines)."""
    keymap: dict[str, str] = field(default_factory=dict)
    read_only: bool = False


StartupResolver = Callable[[], "Startup | None"]
"""Resolves the command line (blocking: it imports click, the config and the client, so it
runs on a thread); None when the command must run as it would without a launch record."""

MUTATING_ACTIONS = frozenset({"new_account", "edit_account", "delete_account", "send_test", "replay_request"})
"""Refused in read-only mode. The hub challenge is not one: it changes nothing."""
_ACTION_NAMES = {
    "new_account": "creating accounts",
    "edit_account": "editing accounts",
    "delete_account": "deleting accounts",
    "send_test": "sending test messages",
    "replay_request": "replaying requests",
}
FIRST_FRAME_WAIT = 1.0
"""At most this long (seconds) the command line waits for the first frame to be drawn."""
LAST_SEEN_REFUSAL = "This is the list last seen: wait a moment for the fresh one."
ERROR_TOAST_SECONDS = 10
UNEXPECTED_TOAST_SECONDS = 30
log = logging.getLogger(__name__)


def styles_path() -> Path:
    """The shipped stylesheet: inside the package when installed, top-level ``styles/`` in a checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "styles" / "app.tcss", package.parent.parent / "styles" / "app.tcss"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("voipbin-tui stylesheet app.tcss not found")


class VoipbinApp(ExplainsRefusals, App[None]):
    """voipbin-tui: conversation accounts on the sandbox or on VoIPBIN."""

    TITLE = "voipbin-tui"
    CSS_PATH = styles_path()
    COMMANDS = App.COMMANDS | {AccountCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Quit voipbin-tui"),
        Binding("R", "reconnect", "Reconnect", id="app.reconnect", tooltip="Try to connect again", show=False),
        Binding("question_mark", "toggle_help", "Keys", id="app.help", tooltip="Show every key for this screen"),
    ]

    read_only: reactive[bool] = reactive(False)
    title_parts: tuple[Part, ...] = ()
    """The sub-title in parts with short forms, for a header narrower than the whole of it."""
    connection: Connection | None = None
    feed: FeedClient | None = None
    """The captured-traffic feed, when the connection has one (the sandbox, or a relay)."""

    def __init__(
        self,
        open_connection: ConnectionOpener | None,
        *,
        read_only: bool = False,
        keymap: dict[str, str] | None = None,
        notices: list[str] | None = None,
        account_cache: AccountCache | None = None,
    ) -> None:
        super().__init__()
        self.account_cache = account_cache
        """The list last seen: drawn at once on the next launch, until the fresh one replaces it."""
        self._notices = notices or []
        self._open_connection: ConnectionOpener | None = open_connection
        self._resolve_startup: StartupResolver | None = None
        self.normal_path_needed = False
        self.startup: Startup | None = None
        """What the command line resolved to after the first frame (from a launch record)."""
        """The launch record's command line did not resolve to this TUI: the app closed, and the
        command is to run as it would have without a record."""
        self._exit_stack = AsyncExitStack()
        self._configured_keys = keymap or {}  # not Textual's own _keymap: set on mount
        self._keys_checked = False
        self.set_reactive(VoipbinApp.read_only, read_only)
        self._key_order = KeyOrder(self, super().on_event)

    @classmethod
    def resolved_later(
        cls,
        resolve: StartupResolver,
        *,
        read_only: bool,
        keymap: dict[str, str],
        account_cache: AccountCache | None,
    ) -> VoipbinApp:
        """An app whose first frame is drawn from a launch record (the list last seen, the
        keys, read-only) and whose command line is resolved by ``resolve`` after that frame."""
        app = cls(None, read_only=read_only, keymap=keymap, account_cache=account_cache)
        app._resolve_startup = resolve
        return app

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            await self._key_order.arrive(event)  # a burst of keys is handled in order
        else:
            await super().on_event(event)

    def _fatal_error(self) -> None:
        """Textual's crash report, without local variables: those can hold what the user typed
        into a secret field. (A private hook, acceptable with Textual pinned exactly.)"""
        import rich
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(Segments(self.console.render(traceback, self.console.options)))
        self._close_messages_no_wait()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every toast (from any screen or widget) is plain, escaped text: messages quote the API,
        exceptions and senders, so markup or a control character in them must never act."""
        super().notify(multi_line(message), title=one_line(title), severity=severity, timeout=timeout, markup=False)

    def show_error(self, title: str, exc: BaseException, *, severity: SeverityLevel = "error") -> None:
        """The one way a failure reaches the user as a toast: ``title`` says what failed, the
        body is the error as a sentence (``error_message``)."""
        self.notify(error_message(exc), title=title, severity=severity, timeout=ERROR_TOAST_SECONDS)

    def worker_failed(self, title: str, exc: Exception) -> None:
        """A worker raised what no code path expected (a bug, or a case nobody foresaw): said in
        a toast and logged with its traceback, and the app keeps running. (Every worker starts
        through ``@background``, which calls this.)"""
        log.error("%s: unexpected error in a worker", title, exc_info=exc)
        self.notify(
            f"Unexpected error: {error_message(exc)}",
            title=title,
            severity="error",
            timeout=UNEXPECTED_TOAST_SECONDS,
        )

    def get_key_display(self, binding: Binding) -> str:
        """Keys can come from config.toml's [keys]: escaped wherever a key is shown (footer, ?)."""
        return one_line(super().get_key_display(binding))

    def on_mount(self) -> None:
        if self._configured_keys:
            self.set_keymap(self._configured_keys)
        self.sub_title = "connecting…"
        self._home = AccountsScreen()
        self.push_screen(self._home)
        for notice in self._notices:  # e.g. a config file others can read: said before the TUI hid it
            self.notify(notice, severity="warning", timeout=20, markup=False)
        self._connect()

    def _warn_of_unknown_keys(self) -> None:
        """A ``[keys]`` id no binding has (a typo would leave the key silently as it was). Said
        once the connection is being made: it imports every screen, which the first frame does not."""
        if self._keys_checked or not self._configured_keys:
            return
        self._keys_checked = True  # once, not again on each reconnect
        unknown = sorted(set(self._configured_keys) - binding_ids())
        if unknown:
            names = ", ".join(repr(name) for name in unknown)
            message = f"config.toml [keys]: no binding has the id {names}; ignored (? lists the ids)"
            self.notify(message, severity="warning", timeout=20, markup=False)

    async def _resolved(self) -> ConnectionOpener | None:
        """The connection opener; from a launch record, the command line is resolved first,
        once the first frame is on screen, on a thread (the imports keep the keys responsive)."""
        resolve = self._resolve_startup
        if resolve is None:
            return self._open_connection
        with suppress(TimeoutError):  # not before: its imports would hold the list back (one core, the GIL)
            await asyncio.wait_for(self._home.drawn.wait(), FIRST_FRAME_WAIT)
        try:
            startup = await asyncio.to_thread(resolve)
        except Exception:  # the command, run normally, says what is wrong as it always has
            log.exception("resolving the command line after the first frame failed")
            startup = None
        if startup is not None and (startup.keymap != self._configured_keys or startup.read_only != self.read_only):
            startup = None  # the first frame's keys or read-only were not these: start over, as without a record
        if startup is None:
            self.normal_path_needed = True
            self.exit()
            return None
        self.startup = startup
        self._resolve_startup = None
        self._open_connection = startup.open_connection
        if (
            startup.account_cache is None
            or self.account_cache is None
            or (startup.account_cache.path != self.account_cache.path)
        ):  # the record's list is another target's: never shown as this one's
            self.broadcast(LastSeenWithdrawn)
        self.account_cache = startup.account_cache
        for notice in startup.notices:
            self.notify(notice, severity="warning", timeout=20, markup=False)
        return self._open_connection

    @background("Could not connect", group="connect", exclusive=True)
    async def _connect(self) -> None:
        open_connection = await self._resolved()
        if open_connection is None:
            return
        try:
            self.connection = await self._exit_stack.enter_async_context(open_connection())
        except Exception as exc:  # a bad data dir, a failed login, a sandbox that cannot start
            self._warn_of_unknown_keys()
            reason = error_message(exc)
            self.sub_title = "not connected: R retries"
            self.notify(f"Could not connect: {reason}", severity="error", timeout=30, markup=False)
            self.broadcast(lambda: ConnectFailed(reason))  # said on the screen too, not only in a toast
            return
        self._warn_of_unknown_keys()
        if self.read_only:  # the clients refuse changes too, whatever opened the connection
            self.connection.make_read_only()
        feed = self.connection.feed_client()
        if feed is not None:
            self.feed = await self._exit_stack.enter_async_context(feed)
        for notice in self.connection.notices:  # e.g. the sandbox's port was taken
            self.notify(notice, severity="warning", timeout=20, markup=False)
        if self.connection.is_sandbox and not self.connection.owns_sandbox and self.connection.sandbox_owner_pid:
            self.notify(
                f"Using the sandbox that process {self.connection.sandbox_owner_pid} runs for this data dir: "
                "it stops when that process does.",
                timeout=10,
                markup=False,
            )
        self.title_parts = self._describe_connection(self.connection)
        self.sub_title = " · ".join(part.text for part in self.title_parts)
        self.broadcast(ConnectionReady)

    def _describe_connection(self, connection: Connection) -> tuple[Part, ...]:
        """Read-only and the backend never leave the header; the hook's host and port stay
        whole (its scheme and path go first)."""
        parts = [Part("READ-ONLY")] if self.read_only else []
        if connection.is_sandbox:
            hook = urlsplit(connection.hook_base_url)
            parts += [
                Part("SANDBOX"),
                Part(one_line(f"hook {connection.hook_base_url}"), short=one_line(f"hook {hook.netloc}")),
            ]
        else:
            parts.append(Part(one_line(connection.target.label)))
        return tuple(parts)

    async def on_unmount(self) -> None:
        await self._exit_stack.aclose()

    @property
    def client(self) -> VoipbinClient:
        """The API client. Screens that call it are opened only once the app is connected."""
        if self.connection is None:
            raise RuntimeError("not connected yet")
        return self.connection.client

    def action_reconnect(self) -> None:
        if self.connection is None:
            self.sub_title = "connecting…"
            self._connect()

    # -- which keys apply now (read-only greys the changes) --------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "quit" and self._unsaved_form():
            return False  # q is a letter in a form with unsaved changes; esc asks before leaving
        if action == "reconnect":
            return self.connection is None
        if action == "edit_account" and self._edit_binding_hidden(parameters):
            return False
        if action == "hub_challenge" and self.refusal(action):
            return False  # WhatsApp only: hidden, not greyed, where it does not apply
        # refused actions stay in the footer, greyed out; pressing their key says why
        return None if self.refusal(action) else True

    def _unsaved_form(self) -> bool:
        screen = self.screen
        return isinstance(screen, GuardsUnsavedChanges) and screen.is_dirty

    def _edit_binding_hidden(self, parameters: tuple[object, ...]) -> bool:
        """A deleted account is not offered for editing: only its own unshown binding
        (parameter "deleted") is active on it, and that one asks first."""
        account = self.selected_account()
        return account is not None and (parameters == ("deleted",)) != account.is_deleted

    def refusal(self, action: str) -> str:
        """Why ``action`` cannot run now (said when its key is pressed anyway), or ""."""
        if action == "quit" and self._unsaved_form():
            return "Unsaved changes: esc leaves the form (and asks first)."
        if action == "reconnect" and self.connection is not None:
            return "Already connected."
        if action == "hub_challenge":  # changes nothing, so read-only allows it
            account = self.selected_account()
            if account is None and self._showing_last_seen():
                return LAST_SEEN_REFUSAL
            if account is None or not _answers_hub_challenge(account):
                return "Only WhatsApp has a hub challenge: select a WhatsApp account."
            return ""
        if action == "check_account":  # reads, and asks before anything it would send
            if self.connection is None:
                return "Not connected: wait, or press R to try again after a failed start."
            return "" if self.selected_account() is not None else "Select an account first."
        if action not in MUTATING_ACTIONS:
            return ""
        if self.read_only:
            return f"Read-only: {_ACTION_NAMES[action]} is turned off (started with --read-only)."
        if self.connection is None:
            return "Not connected: wait, or press R to try again after a failed start."
        if action == "replay_request":
            from voipbin_tui.tui.screens.request import RequestDetailScreen

            return (
                "" if isinstance(self.screen, RequestDetailScreen) else "Open a request first (enter in the inspector)."
            )
        account = self.selected_account()
        if action == "new_account":
            return ""
        if account is None:
            return LAST_SEEN_REFUSAL if self._showing_last_seen() else "Select an account first."
        from voipbin_tui.api.account_types import provider_hook
        from voipbin_tui.api.models import AccountType

        if action == "edit_account" and not isinstance(account.type, AccountType):
            return f"This version does not know the account type {account.type!r}: it cannot be edited safely."
        if action == "delete_account" and account.is_deleted:
            return f"Already deleted {local_time(account.tm_delete)}: nothing to delete."
        if action == "send_test" and provider_hook(account.type) is None:
            return f"{account.type} accounts do not receive through the hook: there is no test message to send."
        return ""

    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        """Run ``action``, or, if it is refused and its target can say why, say it in a toast."""
        target, name, parameters = self._parse_action(
            action, self if default_namespace is None else default_namespace, namespaces
        )
        if not target.check_action(name, parameters):
            why = target.refusal(name) if isinstance(target, ExplainsRefusals) else ""
            if why:
                self.notify(why, title="Not available", severity="warning", timeout=5, markup=False)
                return True
        return await super().run_action(action, default_namespace, namespaces)

    def _showing_last_seen(self) -> bool:
        screen = self.screen
        return isinstance(screen, AccountsScreen) and screen.accounts_table.last_seen is not None

    def selected_account(self) -> Account | None:
        """The account the user is on: in the list, or the one whose detail is open. The command
        palette looks through to the screen it was opened from."""
        screen = next(s for s in reversed(self.screen_stack) if not isinstance(s, CommandPalette))
        return screen.selected_account() if isinstance(screen, ShowsAnAccount) else None

    # -- actions ------------------------------------------------------------------------

    def action_toggle_help(self) -> None:
        if self.screen.query(KeysHelp):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def action_show_help_panel(self) -> None:
        """Our keys panel, with binding ids (also what the palette's "keys" command opens)."""
        if not self.screen.query(KeysHelp):
            self.screen.mount(KeysHelp())

    def action_hide_help_panel(self) -> None:
        self.screen.query(KeysHelp).remove()

    def action_open_account(self) -> None:
        account = self.selected_account()
        if account is not None and self.connection is not None:
            from voipbin_tui.tui.screens.detail import AccountDetailScreen

            self.push_screen(AccountDetailScreen(account))

    def action_check_account(self) -> None:
        """The account doctor's report on the account the user is on."""
        account = self.selected_account()
        if account is not None and self.connection is not None:
            from voipbin_tui.tui.screens.doctor import DoctorReportScreen

            self.push_screen(DoctorReportScreen(account))

    def action_new_account(self) -> None:
        if self.connection is not None:
            from voipbin_tui.tui.screens.form import AccountFormScreen

            self.push_screen(AccountFormScreen(None), self._account_saved)

    def action_edit_account(self, _binding: str = "") -> None:
        account = self.selected_account()
        if account is not None and self.connection is not None:
            self._edit(account)

    @background("Cannot edit", group="open-editor", exclusive=True)
    async def _edit(self, account: Account) -> None:
        """Edit the account as it is now. One deleted (here or elsewhere) is said to be, and is
        edited only if the user confirms: VoIPBIN saves into a deleted account without a word."""
        from voipbin_tui.tui.screens.confirm import ConfirmScreen
        from voipbin_tui.tui.screens.form import AccountFormScreen

        assert self.connection is not None
        try:
            account = await self.connection.client.get_account(account.id)
        except NotFound as exc:
            self.show_error("Cannot edit", exc)
            return
        except VoipbinError:
            pass  # edit what is shown: saving reads the account again before it sends anything
        if account.is_deleted:
            deleted = account
            self.broadcast(lambda: AccountDeleted(deleted))  # a list drops it, a detail says DELETED
            notice = deleted_account_notice(account)
            question = f"{notice} Edit it anyway? {STAYS_DELETED}"
            if not await self.push_screen_wait(ConfirmScreen(question, confirm_label="Edit anyway")):
                self.notify(f"Not edited: {notice}", severity="warning", timeout=8, markup=False)
                return
        self.push_screen(AccountFormScreen(account), self._account_saved)

    def _account_saved(self, account: Account | None) -> None:
        if account is not None:
            self.broadcast(lambda: AccountSaved(account))

    def broadcast(self, make_message: Callable[[], Message]) -> None:
        """Tell every screen on the stack; each gets its own message instance."""
        for screen in self.screen_stack:
            screen.post_message(make_message())

    def action_delete_account(self) -> None:
        account = self.selected_account()
        if account is None or self.connection is None:
            return
        label = f"{account.type} account “{account.name or account.id}”"
        from voipbin_tui.tui.screens.confirm import ConfirmScreen

        def delete(confirmed: bool | None) -> None:
            if confirmed:
                self._delete(account)

        self.push_screen(ConfirmScreen(f"Delete {label}?", detail=f"id {account.id}", confirm_label="Delete"), delete)

    @background("Delete failed", group="write")
    async def _delete(self, account: Account) -> None:
        deleted = await self.client.delete_account(account.id)
        self.notify(f"Deleted {deleted.name or deleted.id}", timeout=4, markup=False)
        self.broadcast(lambda: AccountDeleted(deleted))
        from voipbin_tui.tui.screens.detail import AccountDetailScreen

        screen = self.screen
        if isinstance(screen, AccountDetailScreen) and screen.selected_account().id == deleted.id:
            self.pop_screen()

    # -- traffic: test messages, the hub challenge, requests ----------------------------

    def action_send_test(self) -> None:
        account = self.selected_account()
        if account is None or self.connection is None:
            return
        from voipbin_tui.api.account_types import spec_of
        from voipbin_tui.api.hooks import DEFAULT_TEST_SENDER, wa_id_problem
        from voipbin_tui.tui.screens.prompt import PromptField, PromptScreen
        from voipbin_tui.workflows.hook_test import DEFAULT_TEST_TEXT, hook_test_url

        spec = spec_of(account.type)
        if spec is None or spec.hook is None:
            return
        hook = spec.hook
        fields = [PromptField("text", "Message text", value=DEFAULT_TEST_TEXT)]
        if hook.test_sender_prompt is not None:
            sender = PromptField("sender", hook.test_sender_prompt, value=DEFAULT_TEST_SENDER, check=wa_id_problem)
            fields.append(sender)
        if hook.test_secret_prompt is not None:
            fields.append(PromptField("channel_secret", hook.test_secret_prompt, password=True))
        url = hook_test_url(self.connection, account.id)
        note = f"Signed as {spec.display_name} signs it, posted to {url}"
        self.push_screen(
            PromptScreen(f"Test message to “{account.name or account.id}”", fields, note=note),
            lambda values: self._confirm_live(url, lambda: self._send_test(account, url, values)) if values else None,
        )

    @background("Test message not delivered", group="traffic")
    async def _send_test(self, account: Account, url: str, values: dict[str, str]) -> None:
        from voipbin_tui.api.hooks import DEFAULT_TEST_SENDER
        from voipbin_tui.workflows.hook_test import DEFAULT_TEST_TEXT, HookTest, send_hook_test

        assert self.connection is not None
        message = HookTest(
            text=values.get("text") or DEFAULT_TEST_TEXT,
            sender=values.get("sender") or DEFAULT_TEST_SENDER,
            line_channel_secret=values.get("channel_secret") or None,
        )
        result = await send_hook_test(self.connection, account, message, url=url)
        delivery = result.delivery
        told = f"{'signed' if delivery.signed else 'unsigned'} test message: the hook answered {delivery.status_code}"
        if result.verdict is not None:
            told += f", judged {verdict_label(result.verdict)}"
        self.notify(
            told,
            timeout=8 if result.failed else 5,
            severity="warning" if result.failed else "information",
            markup=False,
        )

    def action_hub_challenge(self) -> None:
        account = self.selected_account()
        if account is None or self.connection is None or not _answers_hub_challenge(account):
            self.notify("Select a WhatsApp account first.", severity="warning", timeout=4, markup=False)
            return
        from voipbin_tui.api.hooks import hook_url_for
        from voipbin_tui.tui.screens.prompt import PromptField, PromptScreen

        url = hook_url_for(self.connection.test_hook_base_url, account.id)
        fields = [PromptField("verify_token", "Verify token (the account's secret)", password=True)]
        self.push_screen(
            PromptScreen("Send Meta's hub challenge", fields, note=f"GET {url}?hub.mode=subscribe&…"),
            lambda values: (
                self._confirm_live(url, lambda: self._hub_challenge(url, values["verify_token"])) if values else None
            ),
        )

    def _confirm_live(self, url: str, send: Callable[[], object]) -> None:
        """Traffic to the sandbox goes at once; to a live hook only after a yes."""
        from voipbin_tui.tui.screens.confirm import ConfirmScreen
        from voipbin_tui.workflows.confirmation import live_traffic_question

        assert self.connection is not None
        live = live_traffic_question(self.connection, url)
        if live is None:
            send()
            return

        def send_if(confirmed: bool | None) -> None:
            if confirmed:
                send()

        self.push_screen(ConfirmScreen(live.question, detail=live.url, confirm_label=live.confirm_label), send_if)

    @background("Hub challenge not delivered", group="traffic")
    async def _hub_challenge(self, url: str, verify_token: str) -> None:
        assert self.connection is not None
        async with self.connection.hook_sender() as sender:
            delivery = await sender.send_hub_challenge(url, verify_token=verify_token)
        if delivery.accepted:
            message = f"{delivery.status_code}: the challenge was echoed; Meta would verify this callback URL."
        else:
            message = f"{delivery.status_code}: refused; Meta would not verify this callback URL."
            if not self.connection.is_sandbox and delivery.status_code == 500:
                message += " (VoIPBIN answers 500 even to a correct token: a known server issue.)"
        self.notify(
            message,
            title="Hub challenge",
            timeout=10,
            markup=False,
            severity="information" if delivery.accepted else "warning",
        )

    def open_request(self, request: CapturedRequest) -> None:
        if self.feed is not None and self.connection is not None:
            from voipbin_tui.tui.screens.request import RequestDetailScreen

            origin = _origin(self.connection.test_hook_base_url)
            self.push_screen(RequestDetailScreen(request, self.feed, origin))

    def action_replay_request(self) -> None:
        from voipbin_tui.tui.screens.request import RequestDetailScreen

        screen = self.screen
        if isinstance(screen, RequestDetailScreen) and self.feed is not None and self.connection is not None:
            # through a relay, a replay re-delivers a real message to VoIPBIN: ask first
            self._confirm_live(screen.request.redacted_target, lambda: self._replay(screen.request))

    @background("Replay failed", group="traffic")
    async def _replay(self, request: CapturedRequest) -> None:
        assert self.feed is not None
        replayed = await self.feed.replay(request.id)
        self.notify(f"Replayed: {replayed.verdict.value} (answered {replayed.status})", timeout=5, markup=False)

    def export_requests(self, requests: list[CapturedRequest]) -> None:
        """Ask where (the exports folder, prefilled), then write the shown requests there."""
        if self.feed is None or not requests:
            self.notify("Nothing to export.", timeout=3, markup=False)
            return
        from voipbin_tui.tui.screens.prompt import PromptField, PromptScreen
        from voipbin_tui.workflows.export import default_export_path, export_target

        default = default_export_path()
        count = f"{len(requests)} request{'s' if len(requests) != 1 else ''}"

        def export(values: dict[str, str] | None) -> None:
            if values:
                self._export(requests, export_target(values["path"], default.name))

        self.push_screen(
            PromptScreen(
                f"Export {count}",
                [PromptField("path", "File (a folder takes the default name)", value=str(default))],
                note="JSON lines, bodies included, credentials redacted; the file is private (0600).",
            ),
            export,
        )

    @background("Export failed", group="traffic")
    async def _export(self, requests: list[CapturedRequest], path: Path) -> None:
        from voipbin_tui.workflows.export import export_captures

        assert self.feed is not None
        try:
            written = await export_captures(self.feed, requests, path)
        except OSError as exc:
            reason = "it exists already" if isinstance(exc, FileExistsError) else exc.strerror
            self.notify(f"Could not write {path}: {reason}", severity="error", timeout=15, markup=False)
            return
        self.notify(f"Exported {written.count} requests to {path}", title="Export", timeout=15, markup=False)


SCREEN_MODULES = tuple(
    f"voipbin_tui.tui.screens.{name}" for name in ("choice", "confirm", "detail", "doctor", "form", "prompt", "request")
)
"""The screens imported when first opened (not at start): their bindings count too."""


def _answers_hub_challenge(account: Account) -> bool:
    from voipbin_tui.api.account_types import answers_hub_challenge

    return answers_hub_challenge(account.type)


def binding_ids() -> set[str]:
    """Every binding id a ``[keys]`` entry can remap: those of this package's screens and widgets
    (the screens not opened yet are imported for it)."""
    for module in SCREEN_MODULES:
        importlib.import_module(module)
    found: set[str] = set()
    pending: list[type[DOMNode]] = [DOMNode]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("voipbin_tui."):
            found.update(b.id for b in cls.__dict__.get("BINDINGS", []) if isinstance(b, Binding) and b.id)
    return found


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
