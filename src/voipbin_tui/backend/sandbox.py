"""The REST emulation: a local VoIPBIN that behaves as ``voipbin-api.md`` describes.

Same paths (underscored), envelopes, pagination and quirks as VoIPBIN: 200 on create, soft
delete that returns the object, deleted accounts readable by id but never listed, write-only
``token``/``secret``, ``provider_data`` returned, the nil UUID for "no flow", a
``next_page_token`` on every non-empty page. Where VoIPBIN saves bad data, the sandbox refuses
it with a 400 naming the fields, using the same ``AccountDraft`` rules as the client.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeGuard, TypeVar
from uuid import UUID

from pydantic import SecretStr, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from voipbin_tui.api.account_types import FieldProblem
from voipbin_tui.api.drafts import AccountDraft
from voipbin_tui.api.models import (
    NIL_UUID,
    Account,
    AccountType,
    Address,
    Conversation,
    ConversationMessage,
    Customer,
    Flow,
    Page,
    VoipbinModel,
)
from voipbin_tui.api.timestamps import format_page_token, parse_voipbin_time
from voipbin_tui.backend.auth import login, requires_credentials
from voipbin_tui.backend.context import backend_of
from voipbin_tui.backend.conversations import add_outgoing_message
from voipbin_tui.backend.errors import ApiProblem
from voipbin_tui.backend.line_setup import line_setup_after_update, line_setup_before_create, line_teardown
from voipbin_tui.backend.object_ids import parse_object_id
from voipbin_tui.backend.outbound import ProviderSend, send_through_provider
from voipbin_tui.backend.store import (
    AccountRecord,
    ConversationRecord,
    CustomerRecord,
    FlowRecord,
    MessageRecord,
    Store,
)

MAX_PAGE_SIZE = 100
MAX_TYPE_LENGTH = 32
_ACCOUNT_FIELDS = ("type", "name", "detail", "secret", "token", "message_flow_id", "provider_data")
_CUSTOMER_FIELDS = (
    "name",
    "detail",
    "email",
    "phone_number",
    "address",
    "webhook_method",
    "webhook_uri",
    "webhook_secret",
)
_WEBHOOK_METHODS = ("", "POST", "PUT", "GET", "DELETE")
_ACCOUNT_TYPES = frozenset(account_type.value for account_type in AccountType)

RecordT = TypeVar("RecordT", AccountRecord, FlowRecord, ConversationRecord, MessageRecord)
ModelT = TypeVar("ModelT", bound=VoipbinModel)


# -- rendering: records as VoIPBIN returns them, through the client's own models ----------


def _conversation(conversation: ConversationRecord) -> Conversation:
    """A conversation; the sandbox's have no owner (VoIPBIN's nil UUID)."""
    return Conversation(
        id=conversation.id,
        customer_id=conversation.customer_id,
        owner_id=NIL_UUID,
        account_id=conversation.account_id,
        name=conversation.name,
        detail=conversation.detail,
        type=conversation.type,
        dialog_id=conversation.dialog_id,
        self=Address.model_validate(conversation.self_address),
        peer=Address.model_validate(conversation.peer_address),
        tm_create=conversation.tm_create,
        tm_update=conversation.tm_update,
        tm_delete=conversation.tm_delete,
    )


def _object(model: type[ModelT]) -> Callable[[Any], ModelT]:
    """Records whose attributes are named as the model's fields become the model as they are;
    what a record holds beyond it is never sent (``Account`` has no ``token`` or ``secret``,
    ``ConversationMessage`` no ``transaction_id``)."""
    return lambda record: model.model_validate(record, from_attributes=True)


_account = _object(Account)
_flow = _object(Flow)
_message = _object(ConversationMessage)
_customer = _object(Customer)


def _answer(model: VoipbinModel) -> JSONResponse:
    return JSONResponse(model.wire_json())


# -- request parsing ---------------------------------------------------------------------


def _page_query(request: Request) -> tuple[datetime | None, int]:
    """(strictly-older-than time, page size) from ``page_token`` and ``page_size``."""
    raw_size = request.query_params.get("page_size", "")
    try:
        size = int(raw_size) if raw_size else MAX_PAGE_SIZE
    except ValueError:
        raise ApiProblem(400, "INVALID_REQUEST_PARAMETER", "page_size must be an integer") from None
    if not 0 < size <= MAX_PAGE_SIZE:
        size = MAX_PAGE_SIZE
    try:
        before = parse_voipbin_time(request.query_params.get("page_token", ""))
    except ValueError:
        raise ApiProblem(
            400, "INVALID_REQUEST_PARAMETER", "page_token must be a timestamp like 2024-03-01T10:00:00.000000Z"
        ) from None
    return before, size


def _page(items: list[RecordT], model: type[ModelT], render: Callable[[RecordT], ModelT]) -> JSONResponse:
    """A page of ``model``; the token is set whenever the page is not empty, as VoIPBIN does."""
    token = format_page_token(items[-1].tm_create) if items else ""
    return _answer(Page[model](result=[render(item) for item in items], next_page_token=token))  # type: ignore[valid-type]


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except (ValueError, RecursionError):
        raise ApiProblem(400, "INVALID_JSON_BODY", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiProblem(400, "INVALID_ARGUMENT", "The request body must be a JSON object.")
    return body


def _invalid(problems: list[FieldProblem], what: str) -> ApiProblem:
    summary = "; ".join(f"{problem.field}: {problem.message}" for problem in problems)
    details = [{"field": problem.field, "message": problem.message} for problem in problems]
    return ApiProblem(400, "INVALID_ARGUMENT", f"invalid {what}: {summary}", details=details)


def _is_text(value: Any) -> TypeGuard[str]:
    """A string that is valid Unicode: JSON escapes can smuggle in lone surrogates."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_types(body: dict[str, Any], fields: tuple[str, ...]) -> None:
    """Every known field present must be text (``provider_data``: an object of text, or null)."""
    problems = []
    for name in fields:
        if name not in body:
            continue
        value = body[name]
        if name == "provider_data":
            if value is not None and not (
                isinstance(value, dict) and all(_is_text(key) and _is_text(v) for key, v in value.items())
            ):
                problems.append(FieldProblem(name, "must be an object of strings, or null"))
        elif not _is_text(value):
            problems.append(FieldProblem(name, "must be a string"))
    if problems:
        raise _invalid(problems, "request")


# -- accounts ----------------------------------------------------------------------------


def _flow_id(store: Store, value: str, *, updating: bool) -> UUID:
    """``message_flow_id`` as sent: "" means no flow; an unknown flow is refused."""
    if value == "":
        return NIL_UUID
    try:
        flow_id = UUID(value)
    except ValueError:
        raise _invalid([FieldProblem("message_flow_id", "not a valid UUID")], "account") from None
    if flow_id == NIL_UUID:
        if updating:
            message = 'the nil UUID is refused on update; send "" to unassign the flow'
            raise _invalid([FieldProblem("message_flow_id", message)], "account")
        return NIL_UUID
    if not store.flow_exists(flow_id):
        raise _invalid([FieldProblem("message_flow_id", "no flow has this id")], "account")
    return flow_id


def _check_account(account: AccountRecord) -> None:
    """The shared AccountDraft rules, on the whole account as it would be saved.

    On update the sandbox knows the stored write-only secrets, so the merged account is
    checked as completely as a new one.
    """
    provider_data = account.provider_data or {}
    app_secret = provider_data.get("app_secret", "")
    try:
        draft = AccountDraft(
            type=AccountType(account.type),
            name=account.name,
            detail=account.detail,
            message_flow_id=account.message_flow_id,
            token=SecretStr(account.token) if account.token else None,
            secret=SecretStr(account.secret) if account.secret else None,
            phone_number_id=provider_data.get("phone_number_id", ""),
            app_secret=SecretStr(app_secret) if app_secret else None,
        )
    except ValidationError as exc:
        problems = [FieldProblem(".".join(map(str, error["loc"])), error["msg"]) for error in exc.errors()]
        raise _invalid(problems, "account") from None
    errors = draft.errors(creating=True)
    if errors:
        raise _invalid(errors, "account")


def _create_account(store: Store, body: dict[str, Any], *, now: datetime, account_id: UUID) -> AccountRecord:
    _check_types(body, _ACCOUNT_FIELDS)
    account_type = body.get("type", "")
    if account_type not in _ACCOUNT_TYPES or len(account_type) > MAX_TYPE_LENGTH:
        allowed = ", ".join(AccountType)
        raise _invalid([FieldProblem("type", f"must be one of {allowed} ({account_type!r} given)")], "account")
    account = AccountRecord(
        id=account_id,
        customer_id=store.get_customer().id,
        type=account_type,
        name=body.get("name", ""),
        detail=body.get("detail", ""),
        secret=body.get("secret", ""),
        token=body.get("token", ""),
        provider_data=body.get("provider_data"),
        message_flow_id=_flow_id(store, body.get("message_flow_id", ""), updating=False),
        tm_create=store.stamp(now),
    )
    _check_account(account)
    store.save_account(account)
    return account


def _existing_account(store: Store, account_id: UUID) -> AccountRecord:
    account = store.get_account(account_id)
    if account is None:
        raise ApiProblem(404, "CONVERSATION_ACCOUNT_NOT_FOUND", f"No conversation account has id {account_id}.")
    return account


def _update_account(store: Store, account_id: UUID, body: dict[str, Any], *, now: datetime) -> AccountRecord:
    """Partial update: only keys present change, ``provider_data`` is replaced whole."""
    _check_types(body, _ACCOUNT_FIELDS)
    current = _existing_account(store, account_id)
    if "type" in body and body["type"] != current.type:
        raise _invalid([FieldProblem("type", "the type of an account cannot be changed")], "update")
    changes: dict[str, Any] = {key: body[key] for key in ("name", "detail", "secret", "token") if key in body}
    if "provider_data" in body:
        changes["provider_data"] = body["provider_data"]
    if "message_flow_id" in body:
        changes["message_flow_id"] = _flow_id(store, body["message_flow_id"], updating=True)
    if not changes:
        raise ApiProblem(
            400,
            "INVALID_ARGUMENT",
            "The update changes nothing. VoIPBIN answers an empty update with 200 and a zeroed "
            "account, so the sandbox refuses it: send only the fields to change.",
        )
    updated = replace(current, **changes, tm_update=store.stamp(now))
    _check_account(updated)
    store.save_account(updated)
    return updated


def _delete_account(store: Store, account_id: UUID, *, now: datetime) -> AccountRecord:
    """Soft delete; deleting again answers the account as it is."""
    account = _existing_account(store, account_id)
    if account.tm_delete is None:
        stamp = store.stamp(now)
        account = replace(account, tm_update=stamp, tm_delete=stamp)
        store.save_account(account)
    return account


@requires_credentials
async def list_accounts(request: Request) -> Response:
    before, size = _page_query(request)
    accounts = backend_of(request).read(lambda store: store.list_accounts(before=before, limit=size))
    return _page(accounts, Account, _account)


@requires_credentials
async def create_account(request: Request) -> Response:
    backend = backend_of(request)
    body = await _json_object(request)
    now, account_id = backend.config.clock(), backend.config.new_id()
    await line_setup_before_create(request, body, account_id)
    account = await backend.write(lambda store: _create_account(store, body, now=now, account_id=account_id))
    return _answer(_account(account))


@requires_credentials
async def get_account(request: Request) -> Response:
    account_id = parse_object_id(request.path_params["account_id"], what="id")
    account = backend_of(request).read(lambda store: _existing_account(store, account_id))
    return _answer(_account(account))


@requires_credentials
async def update_account(request: Request) -> Response:
    backend = backend_of(request)
    account_id = parse_object_id(request.path_params["account_id"], what="id")
    body = await _json_object(request)
    now = backend.config.clock()
    account = await backend.write(lambda store: _update_account(store, account_id, body, now=now))
    await line_setup_after_update(request, account)
    return _answer(_account(account))


@requires_credentials
async def delete_account(request: Request) -> Response:
    backend = backend_of(request)
    account_id = parse_object_id(request.path_params["account_id"], what="id")
    now = backend.config.clock()
    account = await backend.write(lambda store: _delete_account(store, account_id, now=now))
    await line_teardown(request, account)
    return _answer(_account(account))


# -- flows, conversations, messages ------------------------------------------------------


@requires_credentials
async def list_flows(request: Request) -> Response:
    before, size = _page_query(request)
    flows = backend_of(request).read(lambda store: store.list_flows(before=before, limit=size))
    return _page(flows, Flow, _flow)


def _flow_actions(value: Any, new_id: Callable[[], UUID]) -> list[dict[str, Any]]:
    """The actions as VoIPBIN keeps them: objects with a ``type``, each with an ``id`` (one sent
    is kept; a missing or nil one is assigned, as VoIPBIN does)."""
    if not isinstance(value, list) or not all(isinstance(action, dict) for action in value):
        raise _invalid([FieldProblem("actions", "must be a list of objects")], "flow")
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise _invalid([FieldProblem("actions", "must be valid Unicode text")], "flow") from None
    actions = []
    for index, action in enumerate(value):
        if not _is_text(action.get("type")) or not action["type"]:
            raise _invalid([FieldProblem(f"actions.{index}.type", "must be a non-empty string")], "flow")
        given = action.get("id") or str(NIL_UUID)
        try:
            action_id = UUID(given)
        except (TypeError, ValueError, AttributeError):
            raise _invalid([FieldProblem(f"actions.{index}.id", "not a valid UUID")], "flow") from None
        rest = {key: item for key, item in action.items() if key != "id"}
        actions.append({"id": str(new_id() if action_id == NIL_UUID else action_id), **rest})
    return actions


def _create_flow(store: Store, body: dict[str, Any], *, now: datetime, new_id: Callable[[], UUID]) -> FlowRecord:
    _check_types(body, ("name", "detail"))
    flow = FlowRecord(
        id=new_id(),
        customer_id=store.get_customer().id,
        type="flow",
        name=body.get("name", ""),
        detail=body.get("detail", ""),
        actions=_flow_actions(body.get("actions", []), new_id),
        tm_create=store.stamp(now),
    )
    store.add_flow(flow)
    return flow


@requires_credentials
async def create_flow(request: Request) -> Response:
    """Create a flow: 200 with it, every action with its id."""
    backend = backend_of(request)
    body = await _json_object(request)
    now, new_id = backend.config.clock(), backend.config.new_id
    flow = await backend.write(lambda store: _create_flow(store, body, now=now, new_id=new_id))
    return _answer(_flow(flow))


@requires_credentials
async def list_conversations(request: Request) -> Response:
    before, size = _page_query(request)
    conversations = backend_of(request).read(lambda store: store.list_conversations(before=before, limit=size))
    return _page(conversations, Conversation, _conversation)


def _existing_conversation(store: Store, conversation_id: UUID) -> ConversationRecord:
    conversation = store.get_conversation(conversation_id)
    if conversation is None:
        raise ApiProblem(404, "CONVERSATION_NOT_FOUND", f"No conversation has id {conversation_id}.")
    return conversation


@requires_credentials
async def get_conversation(request: Request) -> Response:
    conversation_id = parse_object_id(request.path_params["conversation_id"], what="id")
    conversation = backend_of(request).read(lambda store: _existing_conversation(store, conversation_id))
    return _answer(_conversation(conversation))


def _messages_page(store: Store, conversation_id: UUID, before: datetime | None, size: int) -> list[MessageRecord]:
    _existing_conversation(store, conversation_id)
    return store.list_messages(conversation_id, before=before, limit=size)


@requires_credentials
async def list_messages(request: Request) -> Response:
    conversation_id = parse_object_id(request.path_params["conversation_id"], what="id")
    before, size = _page_query(request)
    messages = backend_of(request).read(lambda store: _messages_page(store, conversation_id, before, size))
    return _page(messages, ConversationMessage, _message)


def _send_message(
    store: Store, conversation: ConversationRecord, text: str, sent: ProviderSend | None, **when: Any
) -> MessageRecord:
    if sent is None:
        return add_outgoing_message(store, conversation, text=text, **when)
    return add_outgoing_message(
        store, conversation, text=text, transaction_id=sent.transaction_id, provider_status=sent.provider_status, **when
    )


@requires_credentials
async def send_message(request: Request) -> Response:
    """Send a message: a WhatsApp one through (the emulated) Meta, ``failed`` if it refuses;
    others have no provider to wait for, so they are ``done`` at once."""
    backend = backend_of(request)
    conversation_id = parse_object_id(request.path_params["conversation_id"], what="id")
    body = await _json_object(request)
    text = body.get("text")
    if not _is_text(text) or not text.strip():
        raise _invalid([FieldProblem("text", "must be a non-empty string")], "message")
    conversation = backend.read(lambda store: _existing_conversation(store, conversation_id))
    sent = await send_through_provider(request, conversation, text)
    now, new_id = backend.config.clock(), backend.config.new_id
    message = await backend.write(lambda store: _send_message(store, conversation, text, sent, now=now, new_id=new_id))
    return _answer(_message(message))


# -- customer ----------------------------------------------------------------------------


@requires_credentials
async def get_customer(request: Request) -> Response:
    customer = backend_of(request).read(Store.get_customer)
    return _answer(_customer(customer))


def _replace_customer(store: Store, body: dict[str, Any], *, now: datetime) -> CustomerRecord:
    """PUT replaces every field: one left out becomes empty (read, change, send all back)."""
    _check_types(body, _CUSTOMER_FIELDS)
    values = {name: body.get(name, "") for name in _CUSTOMER_FIELDS}
    problems = []
    if values["webhook_method"] not in _WEBHOOK_METHODS:
        problems.append(FieldProblem("webhook_method", f"must be one of {', '.join(filter(None, _WEBHOOK_METHODS))}"))
    if values["webhook_uri"] and not values["webhook_uri"].startswith(("http://", "https://")):
        problems.append(FieldProblem("webhook_uri", "must be an http:// or https:// URL"))
    if problems:
        raise _invalid(problems, "customer")
    customer = replace(store.get_customer(), **values, tm_update=store.stamp(now))
    store.save_customer(customer)
    return customer


@requires_credentials
async def update_customer(request: Request) -> Response:
    backend = backend_of(request)
    body = await _json_object(request)
    now = backend.config.clock()
    customer = await backend.write(lambda store: _replace_customer(store, body, now=now))
    return _answer(_customer(customer))


SANDBOX_ROUTES: list[BaseRoute] = [
    Route("/auth/login", login, methods=["POST"]),
    Route("/v1.0/conversation_accounts", list_accounts, methods=["GET"]),
    Route("/v1.0/conversation_accounts", create_account, methods=["POST"]),
    Route("/v1.0/conversation_accounts/{account_id}", get_account, methods=["GET"]),
    Route("/v1.0/conversation_accounts/{account_id}", update_account, methods=["PUT"]),
    Route("/v1.0/conversation_accounts/{account_id}", delete_account, methods=["DELETE"]),
    Route("/v1.0/flows", list_flows, methods=["GET"]),
    Route("/v1.0/flows", create_flow, methods=["POST"]),
    Route("/v1.0/conversations", list_conversations, methods=["GET"]),
    Route("/v1.0/conversations/{conversation_id}", get_conversation, methods=["GET"]),
    Route("/v1.0/conversations/{conversation_id}/messages", list_messages, methods=["GET"]),
    Route("/v1.0/conversations/{conversation_id}/messages", send_message, methods=["POST"]),
    Route("/v1.0/customer", get_customer, methods=["GET"]),
    Route("/v1.0/customer", update_customer, methods=["PUT"]),
]
