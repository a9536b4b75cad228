"""The ``voipbin-tui`` command: the TUI by default, and scriptable subcommands on the same client.

Exit codes: 0 ok, 1 API or validation error, 2 usage or configuration error. Expected
failures print one clear line (with the request id when VoIPBIN gave one), never a traceback.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeGuard, TypeVar
from uuid import UUID

import click
from pydantic import SecretStr

from voipbin_tui import __version__
from voipbin_tui.account_cache import AccountCache
from voipbin_tui.api import (
    NIL_UUID,
    Account,
    AccountDraft,
    AccountType,
    AccountValidationError,
    ApiError,
    ReadOnlyRefused,
    VoipbinError,
    mask_secret,
)
from voipbin_tui.api.account_types import credential_help, provider_hook, spec_of
from voipbin_tui.api.client import parse_uuid
from voipbin_tui.api.hooks import DEFAULT_TEST_SENDER, DEFAULT_TEST_TEXT, wa_id_problem
from voipbin_tui.config import (
    ConfigError,
    ConfigFile,
    Environment,
    Profile,
    RemoteTarget,
    SandboxTarget,
    Target,
    config_path,
    data_dir,
    data_dir_warning,
    export_dir,
    load_config,
    permission_warning,
    plain_http_warnings,
    resolve_target,
    sandbox_port,
    save_config,
)
from voipbin_tui.connection import Connection, connection_opener, open_connection
from voipbin_tui.launch import LaunchInputs, config_digest
from voipbin_tui.presentation import (
    STAYS_DELETED,
    WRITE_ONLY,
    deleted_account_notice,
    flow_label,
    flow_names,
    flows_named,
    local_time,
    setup_checklist,
)
from voipbin_tui.terminal_text import json_for_terminal, one_line
from voipbin_tui.workflows.confirmation import live_traffic_question

if TYPE_CHECKING:  # the doctor, the feed, the sandbox's controls: only for their commands; Textual: only the TUI
    from voipbin_tui.api.feed import CapturedRequest
    from voipbin_tui.api.sandbox_providers import ProviderDelivery, SandboxProviders
    from voipbin_tui.doctor.report import CheckResult
    from voipbin_tui.tui.app import Startup

T = TypeVar("T")

EXIT_API_ERROR = 1
EXIT_USAGE = 2


class UuidParam(click.ParamType):  # type: ignore[type-arg]  # not generic in click 8.1, which we allow
    """An id checked before anything is sent: a bad one is a usage error (exit 2), like any bad argument."""

    name = "uuid"

    def __init__(self, what: str) -> None:
        self.what = what

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> UUID:
        try:
            return parse_uuid(value, what=self.what)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


ACCOUNT_ID = UuidParam("account id")


CONNECTION_OPTIONS = ("profile", "api_url", "hook_url", "accesskey", "data_dir", "port")


def _connection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The connection flags every command takes; a subcommand's value wins over the group's."""
    options = [
        click.option("--profile", metavar="NAME", help="Use a saved profile (env: VOIPBIN_PROFILE)."),
        click.option("--api-url", metavar="URL", help="VoIPBIN REST base, e.g. https://api.voipbin.net/v1.0."),
        click.option(
            "--hook-url",
            metavar="URL",
            help="Hook base providers post to (env: VOIPBIN_HOOK_URL; default: derived from the API URL).",
        ),
        click.option("--accesskey", metavar="KEY", help="VoIPBIN access key (env: VOIPBIN_ACCESSKEY)."),
        click.option(
            "--data-dir",
            type=click.Path(file_okay=False, path_type=Path),
            help="Sandbox data directory (default: the platform data dir).",
        ),
        click.option(
            "--port",
            type=click.IntRange(0, 65535),
            help="Sandbox loopback port (env: VOIPBIN_TUI_PORT; default 8631).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _target(ctx: click.Context, **given: Any) -> Target:
    """The resolved target; warnings about the config file and plain-http URLs go to stderr."""
    target, warnings = _target_and_warnings(ctx, **given)
    for warning in warnings:
        _echo(warning, err=True)
    return target


def _target_and_warnings(ctx: click.Context, **given: Any) -> tuple[Target, list[str]]:
    inherited = ctx.find_root().params
    pick = {name: inherited.get(name) if given.get(name) is None else given[name] for name in CONNECTION_OPTIONS}
    target = resolve_target(
        profile=pick["profile"],
        api_url=pick["api_url"],
        hook_url=pick["hook_url"],
        accesskey=pick["accesskey"],
        data_dir_option=pick["data_dir"],
        port=pick["port"],
    )
    warning = permission_warning(config_path())
    return target, ([warning] if warning else []) + plain_http_warnings(target)


def _fail(message: str, code: int) -> None:
    _echo(f"error: {message}", err=True)
    sys.exit(code)


EXIT_CLOSED_PIPE = 141
"""What a shell tool killed by SIGPIPE exits with (128 + 13)."""


def _stop_writing_to_a_closed_pipe() -> NoReturn:
    """Point stdout at /dev/null so the interpreter's last flush does not fail too, and exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(EXIT_CLOSED_PIPE)


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine, turning expected failures into one line and an exit code."""
    try:
        return asyncio.run(coroutine)
    except AccountValidationError as exc:
        for problem in exc.problems:
            _echo(f"error: {problem.field}: {problem.message}", err=True)
        sys.exit(EXIT_API_ERROR)
    except ReadOnlyRefused as exc:  # like the early refusal of a command that would change VoIPBIN
        _fail(str(exc), EXIT_USAGE)
    except ApiError as exc:
        if exc.account_after is not None:
            _echo("note: the account was re-read after the failure; the change may be saved.", err=True)
        _fail(str(exc), EXIT_API_ERROR)
    except VoipbinError as exc:
        _fail(str(exc), EXIT_API_ERROR)
    except ConfigError as exc:
        _fail(str(exc), EXIT_USAGE)
    except BrokenPipeError:  # the reader left (`| head`): stop quietly, as a shell tool does
        _stop_writing_to_a_closed_pipe()
    except (OSError, sqlite3.DatabaseError) as exc:  # the sandbox's data dir is unusable
        _fail(f"cannot use the sandbox data: {exc}", EXIT_API_ERROR)
    except KeyboardInterrupt:
        sys.exit(130)
    raise AssertionError("unreachable")


def _with_connection(ctx: click.Context, options: dict[str, Any], work: Callable[[Connection], Awaitable[T]]) -> T:
    async def main() -> T:
        target = _target(ctx, **options)
        read_only = bool(ctx.find_root().params.get("read_only"))
        async with open_connection(target, password_prompt=_prompt_password, read_only=read_only) as connection:
            for notice in connection.notices:
                _echo(f"note: {notice}", err=True)
            return await work(connection)

    return _run(main())


def _line_from_stdin() -> str:
    """A secret given as ``-``: one line of standard input, so it never shows in ``ps``."""
    return sys.stdin.readline().rstrip("\r\n")


def _prompt_password(label: str) -> str:
    return click.prompt(label, hide_input=True, err=True)


def _echo(text: str = "", *, err: bool = False) -> None:
    """Every line the CLI prints goes through here: API, sender and file text in it is escaped,
    so it cannot drive the terminal or forge lines."""
    click.echo(one_line(text), err=err)


def _print_json(data: Any) -> None:
    click.echo(json_for_terminal(json.dumps(data, indent=2, ensure_ascii=False)))


_FIXED_COLUMNS = frozenset({"ID", "TYPE", "CREATED", "UPDATED"})
"""Never cut: ids (every other command takes them), a type, a time. Names and text give way."""
_COLUMN_GAP = 2


def _print_table(columns: tuple[str, ...], rows: Sequence[tuple[str, ...]], *, wide: bool = False) -> None:
    """A table that fits the terminal (80 columns when not one), one line per row: the fixed
    columns keep their width and the others share what is left, cut with an ellipsis. ``wide``
    prints every cell whole, however wide that makes it."""
    from rich.console import Console  # only the table-printing commands pay for rich
    from rich.table import Table
    from rich.text import Text

    cells = [[Text(one_line(cell)) for cell in row] for row in rows]  # Text, not markup: names come from the server
    natural = [
        max([len(column), *(cell.cell_len for cell in (row[i] for row in cells))]) for i, column in enumerate(columns)
    ]
    console = Console(highlight=False, soft_wrap=False)
    widths = natural if wide else _fit_widths(columns, natural, console.width)
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, _COLUMN_GAP // 2))
    for column, width in zip(columns, widths, strict=True):
        table.add_column(column, no_wrap=True, overflow="ellipsis", width=width)
    for row in cells:
        table.add_row(*row)
    if wide:
        console = Console(highlight=False, soft_wrap=False, width=sum(widths) + _COLUMN_GAP * len(widths))
    console.print(table)


def _fit_widths(columns: tuple[str, ...], natural: list[int], total: int) -> list[int]:
    """Shrink the flexible columns, widest first, until the row fits ``total`` cells."""
    widths = list(natural)
    budget = total - _COLUMN_GAP * (len(columns) - 1)
    flexible = [i for i, column in enumerate(columns) if column not in _FIXED_COLUMNS]
    while sum(widths) > budget and flexible:
        widest = max(flexible, key=lambda i: widths[i])
        if widths[widest] <= 6:
            break  # narrower than this is unreadable: let the terminal cut instead
        widths[widest] -= 1
    return widths


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@_connection_options
@click.option("--read-only", is_flag=True, help="No create, edit, delete or send (TUI and subcommands).")
@click.version_option(__version__, prog_name="voipbin-tui")
@click.pass_context
def main(ctx: click.Context, /, read_only: bool, **options: Any) -> None:
    """Manage VoIPBIN conversation accounts and watch their webhooks.

    With no subcommand it opens the TUI. With no profile or credentials everything runs on
    the embedded sandbox.
    """
    try:  # every command reads the environment: a bad variable is one line here, not a traceback later
        Environment()
    except ConfigError as exc:
        _fail(str(exc), EXIT_USAGE)
    if ctx.invoked_subcommand is None:
        _run_tui(ctx, read_only)


@dataclass(frozen=True, slots=True)
class _TuiSettings:
    """What the TUI starts with, resolved from the command line, the environment and the config."""

    target: Target
    warnings: list[str]
    """Said on stderr before the TUI takes the terminal, and in it (``notices``)."""
    notices: list[str]
    keymap: dict[str, str]
    account_cache: AccountCache
    config_digest: str | None
    """Of the config file as it was before any of this was read from it (a launch record's)."""


def _tui_settings(ctx: click.Context) -> _TuiSettings:
    """Raises ``ConfigError`` (exit 2) for a bad config, profile or option."""
    digest = config_digest(config_path())  # first: a config changed while being read voids the record
    target, warnings = _target_and_warnings(ctx)
    keymap = load_config(config_path()).keys
    notices = list(warnings)
    if isinstance(target, SandboxTarget) and (open_data_dir := data_dir_warning(target.data_dir)):
        notices.append(open_data_dir)
    account_cache = AccountCache(target.data_dir if isinstance(target, SandboxTarget) else data_dir(), target)
    return _TuiSettings(target, warnings, notices, keymap, account_cache, digest)


def _run_tui(ctx: click.Context, read_only: bool) -> None:
    try:
        settings = _tui_settings(ctx)
    except ConfigError as exc:
        _fail(str(exc), EXIT_USAGE)
    for warning in settings.warnings:
        _echo(warning, err=True)
    password = _password_up_front(settings.target)
    if password is None:  # a launch that asks nothing: the next one like it can draw at once
        _remember_launch(ctx, settings, read_only)
    # The sandbox starts on a thread while Textual is imported and draws its first frame (the
    # list last seen, if any). Measured: starting it after that frame drew that list 0.4 s
    # sooner but the backend's own list 0.9 s later, and only the latter can be acted on.
    opener = connection_opener(settings.target, password_prompt=password, read_only=read_only)

    from voipbin_tui.tui.app import VoipbinApp  # Textual loads only when the TUI runs

    app = VoipbinApp(
        opener,
        read_only=read_only,
        keymap=settings.keymap,
        notices=settings.notices,
        account_cache=settings.account_cache,
    )
    app.run()


def _remember_launch(ctx: click.Context, settings: _TuiSettings, read_only: bool) -> None:
    """A launch record for the console script's inputs (``launch.py``), when it started us."""
    inputs = ctx.find_object(LaunchInputs)
    if inputs is not None:
        inputs.remember(
            config_path(),
            settings.config_digest,
            settings.account_cache.path,
            read_only=read_only,
            keymap=settings.keymap,
        )


def resolve_tui_startup(inputs: LaunchInputs) -> Startup | None:
    """A launch record's command line, resolved as ``voipbin-tui`` without a subcommand
    resolves it (after the TUI's first frame, on a thread). None when it does not resolve to a
    TUI that asks nothing (a config error, a password to ask): the command then runs normally,
    and says what it always says. (A record is only ever written for a launch of the TUI.)"""
    from voipbin_tui.tui.app import Startup

    try:
        with main.make_context("voipbin-tui", list(inputs.args), obj=inputs) as ctx:
            settings = _tui_settings(ctx)
            read_only = bool(ctx.params["read_only"])
            if _password_needed(settings.target):
                return None
            _remember_launch(ctx, settings, read_only)
    except (click.ClickException, click.exceptions.Exit, ConfigError):
        return None
    opener = connection_opener(settings.target, read_only=read_only)
    return Startup(
        opener,
        settings.account_cache,
        notices=settings.notices,
        warnings=settings.warnings,
        keymap=settings.keymap,
        read_only=read_only,
    )


def _password_needed(target: Target) -> TypeGuard[RemoteTarget]:
    """A profile that logs in with a user name, and no password in the environment."""
    return isinstance(target, RemoteTarget) and target.accesskey is None and not Environment().password


def _password_up_front(target: Target) -> Callable[[str], str] | None:
    """Ask for a login password before the TUI takes over the terminal."""
    if not _password_needed(target):
        return None
    password = click.prompt(f"Password for {target.username}", hide_input=True, err=True)
    return lambda _label: password


def _refuse_if_read_only(ctx: click.Context) -> None:
    """Say it before asking for secrets or a confirmation; the connection's client refuses the
    change itself either way (``ReadOnlyRefused``)."""
    if ctx.find_root().params.get("read_only"):
        raise click.UsageError("--read-only: this command would change VoIPBIN")


# -- accounts ---------------------------------------------------------------------------


@main.group()
def accounts() -> None:
    """List, show, create, update and delete conversation accounts."""


_ACCOUNT_COLUMNS = ("ID", "TYPE", "NAME", "FLOW")
_ACCOUNT_COLUMNS_WIDE = ("ID", "TYPE", "NAME", "DETAIL", "FLOW", "CREATED", "UPDATED")


def _account_row(account: Account, names: dict[UUID, str], columns: tuple[str, ...]) -> tuple[str, ...]:
    """The account's cells under ``columns`` of ``accounts list``."""
    cells = {
        "ID": str(account.id),
        "TYPE": str(account.type),
        "NAME": account.name,
        "DETAIL": account.detail,
        "FLOW": flow_label(account.message_flow_id, names),
        "CREATED": local_time(account.tm_create),
        "UPDATED": local_time(account.tm_update) or "never",
    }
    return tuple(cells[column] for column in columns)


@accounts.command("list")
@_connection_options
@click.option("--type", "type_", type=click.Choice([t.value for t in AccountType]), help="Only this type.")
@click.option("--wide", is_flag=True, help="Every column (detail, created), cells never cut.")
@click.option("--ids", "ids_only", is_flag=True, help="Only the ids, one a line (for xargs and loops).")
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")
@click.option("--show-secrets", is_flag=True, help="Do not mask app_secret in JSON.")
@click.pass_context
def accounts_list(
    ctx: click.Context,
    /,
    type_: str | None,
    wide: bool,
    ids_only: bool,
    as_json: bool,
    show_secrets: bool,
    **options: Any,
) -> None:
    """List accounts, newest first: id, type, name and flow (--wide adds detail and times)."""

    async def work(connection: Connection) -> None:
        client = connection.client
        if as_json or ids_only:
            found = [a async for a in client.iter_accounts() if type_ is None or a.type == type_]
            if as_json:
                _print_json([account.to_public_dict(show_secrets=show_secrets) for account in found])
            else:
                for account in found:
                    _echo(str(account.id))
            return
        # the flow names for the table are read at the same time: one round trip, not two
        every, flows = await asyncio.gather(client.list_accounts(), client.list_flows())
        found = [account for account in every if type_ is None or account.type == type_]
        names = flow_names(flows)
        columns = _ACCOUNT_COLUMNS_WIDE if wide else _ACCOUNT_COLUMNS
        rows = [_account_row(account, names, columns) for account in found]
        _print_table(columns, rows, wide=wide)
        _echo(f"{len(found)} account(s) on {connection.target.label}", err=True)

    _with_connection(ctx, options, work)


def _account_lines(
    account: Account, connection: Connection, names: dict[UUID, str], show_secrets: bool
) -> list[tuple[str, str]]:
    lines = [
        ("id", str(account.id)),
        ("type", str(account.type)),
        ("name", account.name),
        ("detail", account.detail),
        ("flow", flow_label(account.message_flow_id, names)),
    ]
    # only the write-only fields this type uses (SMS has none); a type this version does not know, both
    spec = spec_of(account.type)
    lines += [(field, WRITE_ONLY) for field in ("token", "secret") if spec is None or field in spec.write_only_keys]
    if (spec is not None and spec.uses_provider_data) or account.provider_data is not None:
        secret = account.app_secret
        shown = (secret.get_secret_value() if secret else "") if show_secrets else mask_secret(secret)
        lines += [("phone_number_id", account.phone_number_id or "(not set)"), ("app_secret", shown or "(not set)")]
    lines += [
        ("created", local_time(account.tm_create)),
        ("updated", local_time(account.tm_update) or "never"),
    ]
    if account.is_deleted:
        lines.append(("deleted", local_time(account.tm_delete)))
    if provider_hook(account.type) is not None:
        lines.append(("hook url", _hook_url_shown(connection, account.id)))
    for item in setup_checklist(account, connection.hook_url_for(account.id)):
        lines.append(("step" if item.is_step else "check", f"{item.mark} {item.text}"))
    return lines


@accounts.command("get")
@_connection_options
@click.argument("account_id", type=ACCOUNT_ID)
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")
@click.option("--show-secrets", is_flag=True, help="Show app_secret in clear.")
@click.pass_context
def accounts_get(ctx: click.Context, /, account_id: UUID, as_json: bool, show_secrets: bool, **options: Any) -> None:
    """Show one account (also a deleted one)."""

    async def work(connection: Connection) -> None:
        account = await connection.client.get_account(account_id)
        if as_json:
            _print_json(account.to_public_dict(show_secrets=show_secrets))
            return
        names = flow_names(await connection.client.list_flows())
        width = 16
        for label, value in _account_lines(account, connection, names, show_secrets):
            _echo(f"{label:<{width}}{value}")
        if provider_hook(account.type) is not None:
            _note_temporary_hook(connection)

    _with_connection(ctx, options, work)


def _account_field_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--name", help="Display name (at most 255 characters)."),
        click.option("--detail", help="Free-text description."),
        click.option(
            "--message-flow-id", type=UuidParam("--message-flow-id"), help="Flow that handles inbound messages."
        ),
        click.option("--flow", "flow_name", metavar="NAME", help="The flow by name (a unique match)."),
        click.option("--no-flow", is_flag=True, help="Unassign the flow."),
        click.option("--phone-number-id", metavar="DIGITS", help=f"{credential_help('phone_number_id')}."),
        click.option("--app-secret", metavar="VALUE|-", help=f"{credential_help('app_secret')} ('-': stdin)."),
        click.option("--token", metavar="VALUE|-", help=f"{credential_help('token')} ('-': stdin)."),
        click.option("--secret", metavar="VALUE|-", help=f"{credential_help('secret')} ('-': stdin)."),
        click.option("--prompt-secrets", is_flag=True, help="Ask for the secrets without echo."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _read_secrets(
    type_: AccountType, given: dict[str, str | None], *, ask: bool, creating: bool
) -> dict[str, SecretStr]:
    """Secret values from flags, stdin (``-``), or a no-echo prompt; never echoed back."""
    values: dict[str, SecretStr] = {}
    spec = spec_of(type_)
    for field in ("token", "secret", "app_secret"):
        asked = spec.field(field) if spec is not None else None
        raw = given.get(field)
        if raw == "-":
            raw = _line_from_stdin()
        elif raw is None and asked is not None and asked.secret and (ask or (creating and sys.stdin.isatty())):
            hint = "" if creating else " (empty keeps the current value)"
            raw = click.prompt(asked.prompt + hint, hide_input=True, default="", show_default=False, err=True)
        if raw:
            values[field] = SecretStr(raw)
    return values


def _check_flow_choice(fields: dict[str, Any]) -> None:
    given = [flag for flag, key in _FLOW_FLAGS if fields[key]]
    if len(given) > 1:
        raise click.UsageError(f"give one of {', '.join(given)}, not several")


_FLOW_FLAGS = (("--message-flow-id", "message_flow_id"), ("--flow", "flow_name"), ("--no-flow", "no_flow"))


async def _with_named_flow(connection: Connection, draft: AccountDraft, name: str | None) -> AccountDraft:
    """``--flow NAME``: the one flow with that name (or, failing that, the one whose name contains
    it); anything else is a usage error that lists the candidates."""
    if name is None:
        return draft
    flows = await connection.client.list_flows()
    found = flows_named(flows, name)
    if len(found) == 1:
        return draft.model_copy(update={"message_flow_id": found[0].id})
    listed = found or flows
    candidates = "; ".join(one_line(f"{flow.name or '(no name)'} ({flow.id})") for flow in listed[:10])
    more = f" and {len(listed) - 10} more" if len(listed) > 10 else ""
    problem = f"{len(found)} flows match" if found else "no flow matches"
    raise click.UsageError(f"--flow {one_line(name)!r}: {problem}; candidates: {candidates or 'none'}{more}")


def _apply_fields(draft: AccountDraft, fields: dict[str, Any], *, creating: bool) -> AccountDraft:
    _check_flow_choice(fields)
    updates: dict[str, Any] = {}
    for name in ("name", "detail", "phone_number_id"):
        if fields[name] is not None:
            updates[name] = fields[name]
    if fields["no_flow"]:
        updates["message_flow_id"] = NIL_UUID
    elif fields["message_flow_id"]:
        updates["message_flow_id"] = fields["message_flow_id"]
    secrets = _read_secrets(
        draft.type,
        {key: fields[key] for key in ("token", "secret", "app_secret")},
        ask=fields["prompt_secrets"],
        creating=creating,
    )
    trimmed, notes = draft.model_copy(update={**updates, **secrets}).trimmed()
    for note in notes:  # a pasted id or secret with a stray space: stripped, and said
        _echo(f"warning: {note.field}: {note.message}", err=True)
    return trimmed


def _report_warnings(draft: AccountDraft, *, creating: bool) -> None:
    for problem in draft.warnings(creating=creating):
        _echo(f"warning: {problem.field}: {problem.message}", err=True)


def _show_saved(account: Account, connection: Connection, as_json: bool, verb: str) -> None:
    if as_json:
        _print_json(account.to_public_dict())
    else:
        _echo(f"{verb} {account.type} account {account.id} ({account.name or 'no name'})")
        if provider_hook(account.type) is not None:
            _echo(f"hook url: {_hook_url_shown(connection, account.id)}")
            _note_temporary_hook(connection)


def _hook_url_shown(connection: Connection, account_id: UUID) -> str:
    url = connection.hook_url_for(account_id)
    return f"{url}  (derived from the API URL)" if connection.hook_url_derived else url


def _note_temporary_hook(connection: Connection) -> None:
    """A sandbox this command started stops with it: its hook URL is right, but not listening."""
    if connection.owns_sandbox:
        _echo(
            "note: this hook listens only while `voipbin-tui` or `voipbin-tui serve` runs on this data dir",
            err=True,
        )


@accounts.command("create")
@_connection_options
@click.option("--type", "type_", required=True, type=click.Choice([t.value for t in AccountType]))
@_account_field_options
@click.option("--json", "as_json", is_flag=True, help="Print the created account as JSON.")
@click.pass_context
def accounts_create(ctx: click.Context, /, type_: str, as_json: bool, **rest: Any) -> None:
    """Create an account; secrets can come from stdin or a no-echo prompt."""
    _refuse_if_read_only(ctx)
    options = {key: rest.pop(key) for key in CONNECTION_OPTIONS}
    draft = _apply_fields(AccountDraft(type=AccountType(type_)), rest, creating=True)

    async def work(connection: Connection) -> None:
        named = await _with_named_flow(connection, draft, rest["flow_name"])
        _report_warnings(named, creating=True)
        _show_saved(await connection.client.create_account(named), connection, as_json, "created")

    _with_connection(ctx, options, work)


@accounts.command("update")
@_connection_options
@click.argument("account_id", type=ACCOUNT_ID)
@_account_field_options
@click.option("--json", "as_json", is_flag=True, help="Print the updated account as JSON.")
@click.option("--allow-deleted", is_flag=True, help="Change the account even if it was deleted (it stays deleted).")
@click.pass_context
def accounts_update(ctx: click.Context, /, account_id: UUID, as_json: bool, allow_deleted: bool, **rest: Any) -> None:
    """Change only the given fields (the type cannot change)."""
    _refuse_if_read_only(ctx)
    options = {key: rest.pop(key) for key in CONNECTION_OPTIONS}

    async def work(connection: Connection) -> None:
        current = await connection.client.get_account(account_id)
        if current.is_deleted:
            if not allow_deleted:
                _fail(
                    f"{deleted_account_notice(current)} {STAYS_DELETED} Give --allow-deleted to change it anyway.",
                    EXIT_API_ERROR,
                )
            click.echo(f"note: {deleted_account_notice(current)} It stays deleted.", err=True)
        draft = _apply_fields(AccountDraft.from_account(current), rest, creating=False)
        draft = await _with_named_flow(connection, draft, rest["flow_name"])
        _report_warnings(draft, creating=False)
        _show_saved(await connection.client.update_account(current, draft), connection, as_json, "updated")

    _with_connection(ctx, options, work)


@accounts.command("delete")
@_connection_options
@click.argument("account_id", type=ACCOUNT_ID)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print the deleted account as JSON.")
@click.pass_context
def accounts_delete(ctx: click.Context, /, account_id: UUID, yes: bool, as_json: bool, **options: Any) -> None:
    """Delete an account (VoIPBIN keeps it, marked deleted)."""
    _refuse_if_read_only(ctx)
    if not yes and not sys.stdin.isatty():
        raise click.UsageError("refusing to delete without confirmation: add --yes")

    async def work(connection: Connection) -> None:
        account = await connection.client.get_account(account_id)
        if not yes:
            label = f"{account.type} account {account.name or account.id!s}"
            if not click.confirm(one_line(f"Delete {label}?"), err=True):
                _echo("not deleted", err=True)
                return
        _show_saved(await connection.client.delete_account(account.id), connection, as_json, "deleted")

    _with_connection(ctx, options, work)


def _stdin_only(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A secret option takes only ``-`` (a line of stdin): a value in argv shows in ``ps``."""
    if value is not None and value != "-":
        raise click.BadParameter("give '-' and the value on standard input (secrets never go in arguments)")
    return value


def _app_id(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not (value.isascii() and value.isdigit()):
        raise click.BadParameter("a Meta app id is digits only (App Dashboard > App settings > Basic)")
    return value


@accounts.command("check")
@_connection_options
@click.argument("account_id", type=ACCOUNT_ID)
@click.option("--token", metavar="-", callback=_stdin_only, help="The access token, from stdin ('-').")
@click.option("--verify-token", metavar="-", callback=_stdin_only, help="WhatsApp verify token, from stdin ('-').")
@click.option("--channel-secret", metavar="-", callback=_stdin_only, help="LINE channel secret, from stdin ('-').")
@click.option("--app-id", metavar="ID", callback=_app_id, help="The Meta app id (else learnt from the token).")
@click.option(
    "--end-to-end",
    type=click.Choice(["sign", "wait"]),
    help="Also make a message arrive: sign a test message, or wait for a real one (the sandbox sends it).",
)
@click.option("--time-limit", type=click.FloatRange(1, 600), metavar="SECONDS", help="How long --end-to-end waits.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before sending test traffic to a live hook.")
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
@click.pass_context
def accounts_check(
    ctx: click.Context,
    /,
    account_id: UUID,
    token: str | None,
    verify_token: str | None,
    channel_secret: str | None,
    app_id: str | None,
    end_to_end: str | None,
    time_limit: float | None,
    yes: bool,
    as_json: bool,
    **options: Any,
) -> None:
    """Check that ACCOUNT_ID can receive: VoIPBIN, Meta's or LINE's side, and the path between.

    Secrets VoIPBIN never returns are read from stdin ('-', one line each, in the order token,
    verify token, channel secret) or asked without echo in a terminal; a check whose secret is
    not given is skipped, saying so. Exit 0 when no check failed, 1 when one did.
    """
    from voipbin_tui.doctor import (
        DoctorSecrets,
        planned_checks,
        report_json,
        run_checks,
        secret_prompt,
        secrets_needed,
        tally,
    )

    given = {
        name: _line_from_stdin() if flag == "-" else None
        for name, flag in (("token", token), ("verify_token", verify_token), ("channel_secret", channel_secret))
    }

    async def work(connection: Connection) -> bool:
        if end_to_end == "sign" or (end_to_end == "wait" and connection.is_sandbox):
            _refuse_if_read_only(ctx)
        account = await connection.client.get_account(account_id)
        for name in secrets_needed(account.type):
            if given[name] is None and sys.stdin.isatty() and not as_json:
                label = f"{secret_prompt(account.type, name)} (empty skips the checks that need it)"
                given[name] = click.prompt(label, hide_input=True, default="", show_default=False, err=True)
        secrets = DoctorSecrets.of(**given)
        sends = end_to_end == "sign" or secrets.verify_token is not None
        from voipbin_tui.workflows.hook_test import hook_test_url

        live = live_traffic_question(connection, hook_test_url(connection, account.id))
        if sends and live is not None and provider_hook(account.type) is not None and not yes:
            if not sys.stdin.isatty():
                raise click.UsageError(one_line(f"this would send test traffic to the live hook {live.url}: add --yes"))
            if not click.confirm(one_line(f"Send test traffic to the live hook {live.url}?"), err=True):
                raise click.Abort()
        results: dict[str, CheckResult] = {}
        order = [check.id for check in planned_checks(account.type)]
        printed = 0
        async for result in run_checks(
            connection,
            account.id,
            secrets,
            app_id=app_id,
            end_to_end=end_to_end,  # type: ignore[arg-type]  # click.Choice gave one of the two
            time_limit=time_limit,
            on_wait=lambda what: _echo(f"… {what}", err=True),
            live_hook_confirmed=sends,
        ):
            results[result.id] = result
            while not as_json and printed < len(order) and order[printed] in results:
                _print_check(results[order[printed]])
                printed += 1
        shown = [results[check_id] for check_id in order if check_id in results]
        if as_json:
            _print_json(report_json(account.id, shown))
        else:
            _echo(tally(shown))
        return any(result.failed for result in shown)

    if _with_connection(ctx, options, work):
        sys.exit(EXIT_API_ERROR)


def _print_check(result: CheckResult) -> None:
    _echo(f"{result.status.mark} {result.status.value:<4}  {result.id:<26} {result.summary}")
    if result.status.value in ("fail", "warn"):
        for line in result.evidence:
            _echo(f"        {line}")


# -- flows ------------------------------------------------------------------------------


@main.group()
def flows() -> None:
    """Flows that accounts can route inbound messages to."""


@flows.command("list")
@_connection_options
@click.option("--wide", is_flag=True, help="Cells never cut.")
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")
@click.pass_context
def flows_list(ctx: click.Context, /, wide: bool, as_json: bool, **options: Any) -> None:
    """List flows by name."""

    async def work(connection: Connection) -> None:
        found = await connection.client.list_flows()
        if as_json:
            _print_json([flow.model_dump(mode="json") for flow in found])
            return
        rows = [(str(flow.id), flow.name, flow.detail, local_time(flow.tm_create)) for flow in found]
        _print_table(("ID", "NAME", "DETAIL", "CREATED"), rows, wide=wide)

    _with_connection(ctx, options, work)


# -- config -----------------------------------------------------------------------------


@main.group("config")
def config_group() -> None:
    """Where files live, and saved profiles."""


@config_group.command("path")
def config_path_command() -> None:
    """Print every path the tool uses."""
    env = Environment()
    _echo(f"config   {config_path(env)}")
    _echo(f"data     {data_dir(env)}")
    _echo(f"exports  {export_dir(env)}")


@config_group.command("show")
@click.option("--show-secrets", is_flag=True, help="Print access keys in clear.")
def config_show(show_secrets: bool) -> None:
    """Print the configuration, secrets masked."""
    path = config_path()
    try:
        config = load_config(path)
    except ConfigError as exc:
        _fail(str(exc), EXIT_USAGE)
    warning = permission_warning(path)
    if warning:
        _echo(warning, err=True)
    _echo(f"# {path}{'' if path.exists() else ' (not created yet: the sandbox is used)'}")
    _echo(f"default_profile = {config.default_profile or '(none)'}")
    for name, profile in sorted(config.profiles.items()):
        _echo()
        _echo(f"[profiles.{name}]")
        for key, value in profile.model_dump(exclude_none=True).items():
            if isinstance(value, SecretStr):
                value = value.get_secret_value() if show_secrets else mask_secret(value)
            _echo(f"{key} = {value}")
    env = Environment()
    for key in ("api_url", "hook_url", "accesskey", "inspector_accesskey", "profile", "tui_port"):
        value = getattr(env, key)
        if value is not None:
            shown = mask_secret(value) if isinstance(value, SecretStr) and not show_secrets else value
            if isinstance(shown, SecretStr):
                shown = shown.get_secret_value()
            _echo(f"# overridden by VOIPBIN_{key.upper()} = {shown}")


@config_group.command("set-profile")
@click.argument("name")
@click.option("--api-url", metavar="URL", help="REST base (default https://api.voipbin.net/v1.0).")
@click.option("--hook-url", metavar="URL", help="Hook base (default: derived from the API URL).")
@click.option("--accesskey", metavar="KEY|-", help="Access key ('-' reads a line from stdin).")
@click.option("--prompt-accesskey", is_flag=True, help="Ask for the access key without echo.")
@click.option("--username", help="Log in with this username instead of an access key.")
@click.option("--inspector-url", metavar="URL", help="A `voipbin-tui serve --forward-to` relay to inspect.")
@click.option(
    "--inspector-accesskey",
    metavar="KEY|-",
    help="The relay's own access key for its feed ('-' reads a line from stdin, after --accesskey's).",
)
@click.option("--prompt-inspector-accesskey", is_flag=True, help="Ask for the relay's access key without echo.")
@click.option(
    "--graph-base", metavar="URL", help="Account doctor: Meta's Graph API (default https://graph.facebook.com)."
)
@click.option("--graph-version", metavar="VERSION", help="Account doctor: the Graph API version (default v26.0).")
@click.option("--line-base", metavar="URL", help="Account doctor: LINE's API (default https://api.line.me).")
@click.option("--default", "make_default", is_flag=True, help="Make it the default profile.")
def config_set_profile(
    name: str, make_default: bool, prompt_accesskey: bool, prompt_inspector_accesskey: bool, **fields: str | None
) -> None:
    """Create or change a saved profile (the file is written 0600)."""
    path = config_path()
    try:
        config = load_config(path)
    except ConfigError as exc:
        _fail(str(exc), EXIT_USAGE)
    secrets = {
        "accesskey": _read_key(fields.pop("accesskey"), prompt_accesskey, "Access key"),
        "inspector_accesskey": _read_key(
            fields.pop("inspector_accesskey"), prompt_inspector_accesskey, "The relay's access key"
        ),
    }
    current = config.profiles.get(name, Profile())
    changes: dict[str, Any] = {k: v for k, v in fields.items() if v is not None}
    changes.update({field: SecretStr(value) for field, value in secrets.items() if value})
    profiles = {**config.profiles, name: Profile.model_validate({**dict(current), **changes})}
    updated = ConfigFile(
        default_profile=name if make_default else config.default_profile,
        sandbox_port=config.sandbox_port,
        profiles=profiles,
        keys=config.keys,
    )
    save_config(updated, path)
    _echo(f"saved profile {name!r} in {path}")


def _read_key(given: str | None, prompt: bool, label: str) -> str | None:
    """A key from the flag, a line of stdin (``-``), or a no-echo prompt."""
    if given == "-" or (given is None and prompt and not sys.stdin.isatty()):
        return sys.stdin.readline().strip()  # piped: the pipe holds the key (getpass would warn and echo)
    if given is None and prompt:
        return click.prompt(label, hide_input=True, err=True)
    return given


# -- serve ------------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback unless you say so).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (0 picks one; env: VOIPBIN_TUI_PORT; default 8631).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), help="Where the data lives.")
@click.option(
    "--accesskey",
    metavar="KEY|-",
    help="Access key for REST and the feed ('-' reads a line from stdin; default: generated, kept 0600).",
)
@click.option("--no-seed", is_flag=True, help="Start with an empty customer instead of demo accounts.")
@click.option("--log", "log_requests", is_flag=True, help="Print a line per hook request: time, account, verdict.")
@click.option(
    "--forward-to", metavar="URL", help="Relay the provider hook to this hook base (https://hook.voipbin.net/v1.0)."
)
@click.option("--profile", metavar="NAME", help="Relay: read accounts with this saved profile (env: VOIPBIN_PROFILE).")
@click.option("--api-url", metavar="URL", help="Relay: VoIPBIN REST base to read accounts from (env: VOIPBIN_API_URL).")
@click.option(
    "--upstream-accesskey",
    metavar="KEY|-",
    help="Relay: VoIPBIN access key to read accounts with ('-': stdin, after --accesskey's; env: VOIPBIN_ACCESSKEY).",
)
@click.option(
    "--max-connections",
    default=1024,
    show_default=True,
    type=click.IntRange(1),
    help="Open connections kept; beyond, the longest-waiting sender is dropped.",
)
@click.option(
    "--max-capture-mb",
    default=512,
    show_default=True,
    type=click.IntRange(1),
    help="Disk the captured requests may take; the oldest are dropped first.",
)
@click.pass_context
def serve(
    ctx: click.Context,
    /,
    host: str,
    port: int | None,
    data_dir: Path | None,
    accesskey: str | None,
    no_seed: bool,
    log_requests: bool,
    forward_to: str | None,
    profile: str | None,
    api_url: str | None,
    upstream_accesskey: str | None,
    max_connections: int,
    max_capture_mb: int,
) -> None:
    """Run the backend headless: sandbox REST API, provider hook, and captured-traffic feed.

    With --forward-to it relays to real VoIPBIN: every provider hook request is recorded,
    checked with the account's app secret (read through VoIPBIN's API with --profile, or
    VOIPBIN_ACCESSKEY and VOIPBIN_API_URL), forwarded byte for byte, and answered with what
    VoIPBIN answered. --accesskey stays this backend's own key.
    """
    from voipbin_tui.backend.server import (  # the one entry into backend/
        BackendStartError,
        ConnectionLimits,
        RelayConfig,
        run_server,
    )

    # '-' keeps keys out of argv (ps shows it to every user); one line each, in option order
    if accesskey == "-":
        accesskey = _line_from_stdin()
    if upstream_accesskey == "-":
        upstream_accesskey = _line_from_stdin()

    relay = None
    if forward_to is not None:
        upstream_api_url, upstream_key = _relay_credentials(
            ctx, profile=profile, api_url=api_url, accesskey=upstream_accesskey
        )
        try:
            relay = RelayConfig.for_api(forward_to=forward_to, api_url=upstream_api_url, accesskey=upstream_key)
        except ValueError as exc:
            _fail(f"--forward-to: {exc}", EXIT_USAGE)
    elif profile or api_url or upstream_accesskey:
        raise click.UsageError("--profile, --api-url and --upstream-accesskey are for a relay: add --forward-to URL")
    if host not in ("127.0.0.1", "localhost", "::1"):
        _echo(f"warning: listening on {host}: the hook and the API are reachable from the network", err=True)
    data_dir = data_dir or _data_dir_from_environment()
    warning = data_dir_warning(data_dir)
    if warning:
        _echo(warning, err=True)
    if port is None:
        port = _sandbox_port()
    # uvicorn stops gracefully on SIGTERM, then raises it again: with the default action that
    # killed the process before the runtime file was withdrawn. Raised as SystemExit, it unwinds.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        run_server(
            host=host,
            port=port,
            data_dir=data_dir,
            accesskey=accesskey,
            seed=not no_seed,
            relay=relay,
            echo=_echo,
            log_requests=_echo if log_requests else None,
            connections=ConnectionLimits(max_connections=max_connections),
            max_capture_bytes=max_capture_mb * 1024 * 1024,
        )
    except sqlite3.DatabaseError as exc:  # a StoreError: it names the file and what to do
        _fail(str(exc), EXIT_API_ERROR)
    except KeyboardInterrupt:  # ctrl+c is how one stops a server: not a failure
        _echo("stopped", err=True)
    except BackendStartError as exc:
        _fail(str(exc), EXIT_API_ERROR)
    except OSError as exc:
        _fail(f"cannot serve on {host}:{port}: {exc.strerror or exc}", EXIT_API_ERROR)


def _exit_on_sigterm(signum: int, _frame: object) -> NoReturn:
    raise SystemExit(128 + signum)  # the status a shell reports for a process ended by it


_RELAY_CREDENTIALS_HINT = (
    "hint: a relay reads accounts from VoIPBIN's API with --profile NAME, or --upstream-accesskey KEY "
    "(env: VOIPBIN_ACCESSKEY) and --api-url URL (env: VOIPBIN_API_URL); serve's --accesskey is this backend's own key"
)


def _relay_credentials(ctx: click.Context, **given: str | None) -> tuple[str, SecretStr]:
    """The VoIPBIN API and access key a relay reads accounts with (flags, env, profile)."""
    try:
        target = _target(ctx, **given)
    except ConfigError as exc:
        _echo(f"error: {exc}", err=True)
        _echo(_RELAY_CREDENTIALS_HINT, err=True)
        sys.exit(EXIT_USAGE)
    if isinstance(target, SandboxTarget):
        _echo("error: serve --forward-to needs VoIPBIN credentials to read each account's app secret", err=True)
        _echo(_RELAY_CREDENTIALS_HINT, err=True)
        sys.exit(EXIT_USAGE)
    if target.accesskey is not None:
        return target.api_url, target.accesskey
    _fail(
        f"a relay needs an access key: profile {target.profile!r} logs in with a username, and a relay "
        "runs unattended; save an access key in the profile or give --upstream-accesskey",
        EXIT_USAGE,
    )
    raise AssertionError("unreachable")


def _data_dir_from_environment() -> Path:
    return data_dir(Environment())


def _sandbox_port() -> int:
    """The sandbox port from the environment or the config file (8631 if neither says)."""
    try:
        return sandbox_port(None, Environment(), load_config(config_path()))
    except ConfigError as exc:
        _fail(str(exc), EXIT_USAGE)
    raise AssertionError("unreachable")


# -- hook -------------------------------------------------------------------------------


@main.group()
def hook() -> None:
    """Send provider-shaped test traffic to an account's hook."""


def _hook_target(connection: Connection, account_id: object, to: str | None, *, yes: bool) -> str:
    """The account's hook URL: the sandbox's by default; a live one only after a confirmation.
    A hook base given with ``--to`` is the operator's own choice and is not asked about."""
    from voipbin_tui.workflows.hook_test import hook_test_url  # the test-message workflow loads only here

    url = hook_test_url(connection, str(account_id), to)
    live = None if to or yes else live_traffic_question(connection, url)
    if live is not None:
        if not sys.stdin.isatty():
            raise click.UsageError(one_line(live.unanswered))
        if not click.confirm(one_line(live.prompt), err=True):
            raise click.Abort()
    return url


def _report_capture(capture: CapturedRequest) -> None:
    """How the hook judged the test message, and what it carried."""
    from voipbin_tui.traffic import breakdown, verdict_label

    _echo(f"verdict: {verdict_label(capture.verdict)}")
    if capture.explanation:
        _echo(capture.explanation)
    for item in breakdown(capture):
        _echo(f"  • {item}")


def _checked_wa_id(value: str) -> str:
    problem = wa_id_problem(value)
    if problem:
        raise click.BadParameter(problem)
    return value


@hook.command("send-test")
@_connection_options
@click.argument("account_id", type=ACCOUNT_ID)
@click.option("--text", default=DEFAULT_TEST_TEXT, show_default=True, help="The message text.")
@click.option(
    "--from",
    "sender",
    default=DEFAULT_TEST_SENDER,
    show_default=True,
    metavar="WA_ID",
    help="Sender wa_id.",
    callback=lambda _ctx, _param, value: _checked_wa_id(value),
)
@click.option("--to", metavar="URL", help="Hook base URL to post to instead (e.g. https://hook.voipbin.net/v1.0).")
@click.option("--channel-secret", metavar="VALUE|-", help="LINE: sign with this channel secret ('-': stdin).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before posting to a live hook.")
@click.pass_context
def hook_send_test(
    ctx: click.Context,
    /,
    account_id: UUID,
    text: str,
    sender: str,
    to: str | None,
    channel_secret: str | None,
    yes: bool,
    **options: Any,
) -> None:
    """Post a realistic, signed inbound text message to ACCOUNT_ID's hook."""
    _refuse_if_read_only(ctx)
    if channel_secret == "-":
        channel_secret = _line_from_stdin()

    async def work(connection: Connection) -> None:
        account = await connection.client.get_account(account_id)
        if provider_hook(account.type) is None:
            raise click.UsageError(one_line(f"{account.type} accounts do not receive through the conversation hook"))
        url = _hook_target(connection, account.id, to, yes=yes)
        from voipbin_tui.workflows.hook_test import HookTest, send_hook_test

        message = HookTest(text=text, sender=sender, line_channel_secret=channel_secret)
        result = await send_hook_test(connection, account, message, url=url)
        delivery = result.delivery
        _echo(f"POST {url} ({'signed' if delivery.signed else 'unsigned'}): {delivery.status_code}")
        if result.capture is not None:
            _report_capture(result.capture)
        elif result.feed_note:
            _echo(f"warning: {result.feed_note}", err=True)
        if result.failed:
            sys.exit(EXIT_API_ERROR)

    _with_connection(ctx, options, work)


@hook.command("verify")
@_connection_options
@click.argument("account_id", type=ACCOUNT_ID)
@click.option("--verify-token", required=True, metavar="TOKEN|-", help="The verify token to send ('-': stdin).")
@click.option("--to", metavar="URL", help="Hook base URL to send it to instead.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before sending to a live hook.")
@click.pass_context
def hook_verify(
    ctx: click.Context, /, account_id: UUID, verify_token: str, to: str | None, yes: bool, **options: Any
) -> None:
    """Send Meta's hub challenge to ACCOUNT_ID's hook, as the App Dashboard does (it changes
    nothing, so --read-only allows it)."""
    if verify_token == "-":
        verify_token = _line_from_stdin()

    async def work(connection: Connection) -> None:
        account = await connection.client.get_account(account_id)
        url = _hook_target(connection, account.id, to, yes=yes)
        async with connection.hook_sender() as hook_sender:
            delivery = await hook_sender.send_hub_challenge(url, verify_token=verify_token)
        if delivery.accepted:
            _echo(f"{delivery.status_code}: challenge echoed ({delivery.answer!r}); Meta would verify this URL")
            return
        _echo(f"{delivery.status_code}: refused; Meta would not verify this URL")
        if not connection.is_sandbox and delivery.status_code == 500:
            _echo("note: VoIPBIN answers 500 even to a correct token (a known server issue)")
        sys.exit(EXIT_API_ERROR)

    _with_connection(ctx, options, work)


# -- sandbox ----------------------------------------------------------------------------


@main.group()
def sandbox() -> None:
    """The sandbox's own controls."""


@sandbox.group()
def providers() -> None:
    """The Meta and LINE the sandbox plays: show them, make them misbehave, send as them."""


def _sandbox_providers(connection: Connection) -> SandboxProviders:
    if not connection.is_sandbox:
        raise click.UsageError("only the sandbox emulates Meta and LINE: drop --profile, --api-url and --accesskey")
    from voipbin_tui.api.sandbox_providers import SandboxProviders

    return SandboxProviders(connection.client)


@providers.command("show")
@_connection_options
@click.pass_context
def providers_show(ctx: click.Context, /, **options: Any) -> None:
    """Print the emulated Meta app and LINE channel as JSON (tokens and secrets masked)."""

    async def work(connection: Connection) -> None:
        _print_json(await _sandbox_providers(connection).show())

    _with_connection(ctx, options, work)


@providers.command("set")
@_connection_options
@click.argument("key", metavar="KEY")
@click.argument("value", metavar="VALUE")
@click.pass_context
def providers_set(ctx: click.Context, /, key: str, value: str, **options: Any) -> None:
    """Set one switch, e.g. `meta.messages_subscribed false`, `meta.health BLOCKED`,
    `meta.app_callback_url https://elsewhere.example/hook` (`null`: back to the seeded hook).
    `show` lists them all."""
    _refuse_if_read_only(ctx)

    async def work(connection: Connection) -> None:
        from voipbin_tui.api.sandbox_providers import parse_switch_value

        parsed = parse_switch_value(value)
        await _sandbox_providers(connection).set({key: parsed})
        _echo(f"{key} = {json.dumps(parsed)}")

    _with_connection(ctx, options, work)


@providers.command("reset")
@_connection_options
@click.pass_context
def providers_reset(ctx: click.Context, /, **options: Any) -> None:
    """Put the emulated providers back as the seed made them."""
    _refuse_if_read_only(ctx)

    async def work(connection: Connection) -> None:
        await _sandbox_providers(connection).reset()
        _echo("the emulated Meta and LINE are as seeded again")

    _with_connection(ctx, options, work)


def _report_delivery(delivery: ProviderDelivery) -> None:
    """One line on what the provider's webhook got; exit 1 when nothing took it."""
    provider = "Meta" if delivery.provider == "meta" else "LINE"
    if delivery.success:
        _echo(f"{provider} posted to {delivery.url}: {delivery.status_code}")
        return
    where = f" to {delivery.url}" if delivery.url else ""
    _echo(f"{provider} delivered nothing{where}: {delivery.detail}")
    sys.exit(EXIT_API_ERROR)


@providers.command("inbound")
@_connection_options
@click.argument("account_id", type=ACCOUNT_ID)
@click.argument("text")
@click.pass_context
def providers_inbound(ctx: click.Context, /, account_id: UUID, text: str, **options: Any) -> None:
    """Have ACCOUNT_ID's emulated provider send it TEXT from a customer, signed with the Meta
    app's secret or the LINE channel's secret, to wherever the provider's state points."""
    _refuse_if_read_only(ctx)

    async def work(connection: Connection) -> None:
        _report_delivery(await _sandbox_providers(connection).send_inbound(account_id, text))

    _with_connection(ctx, options, work)


@providers.command("dashboard-test")
@_connection_options
@click.argument("account_id", type=ACCOUNT_ID)
@click.pass_context
def providers_dashboard_test(ctx: click.Context, /, account_id: UUID, **options: Any) -> None:
    """Press Test for `messages` in the emulated App Dashboard of ACCOUNT_ID's Meta app."""
    _refuse_if_read_only(ctx)

    async def work(connection: Connection) -> None:
        _report_delivery(await _sandbox_providers(connection).press_dashboard_test(account_id))

    _with_connection(ctx, options, work)
