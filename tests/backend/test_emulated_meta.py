"""The emulated Graph API over real loopback HTTP: the seed passes every call the doctor makes,
and each failure mode answers with Meta's documented shape (preflight.md section 2 and 4)."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from tests.backend.emulation import (
    APP_TOKEN,
    BEARER,
    SYSTEM_TOKEN,
    Emulation,
    graph_base,
    graph_error,
    proof,
    seeded,
    timed_proof,
)
from voipbin_tui.backend import seed
from voipbin_tui.backend.server import EmbeddedBackend

NUMBER = seed.SEED_PHONE_NUMBER_ID
WABA = seed.SEED_WABA_ID
APP = seed.SEED_META_APP_ID
UNSUPPORTED_33 = {
    "message": f"Unsupported get request. Object with ID '{NUMBER}' does not exist, cannot be loaded due to missing "
    "permissions, or does not support this operation. Please read the Graph API documentation at "
    "https://developers.facebook.com/docs/graph-api",
    "type": "GraphMethodException",
    "code": 100,
    "error_subcode": 33,
}


@pytest.fixture
async def meta(fresh_backend: Callable[..., EmbeddedBackend]):
    async with seeded(fresh_backend) as emulation:
        yield emulation


# -- debug_token -------------------------------------------------------------------------


async def test_the_seeded_token_inspects_itself_valid_with_both_scopes_and_the_waba(meta: Emulation) -> None:
    answer = await meta.graph.get("debug_token", params={"input_token": SYSTEM_TOKEN}, headers=BEARER)
    assert answer.status_code == 200
    data = answer.json()["data"]
    assert data["is_valid"] is True and data["app_id"] == APP and data["expires_at"] == 0
    assert {"whatsapp_business_messaging", "whatsapp_business_management"} <= set(data["scopes"])
    targets = {scope["scope"]: scope.get("target_ids") for scope in data["granular_scopes"]}
    assert targets["whatsapp_business_messaging"] == [WABA] and targets["whatsapp_business_management"] == [WABA]
    assert SYSTEM_TOKEN.startswith("EAA") and SYSTEM_TOKEN not in answer.text


async def test_debug_token_with_the_app_token_as_access_token(meta: Emulation) -> None:
    answer = await meta.graph.get("debug_token", params={"input_token": SYSTEM_TOKEN, "access_token": APP_TOKEN})
    assert answer.json()["data"]["is_valid"] is True


async def test_debug_token_without_an_access_token_is_code_100(meta: Emulation) -> None:
    answer = await meta.graph.get("debug_token", params={"input_token": SYSTEM_TOKEN})
    assert answer.status_code == 400
    assert graph_error(answer) == {
        "message": "(#100) You must provide an app access token, or a user access token that is an owner or "
        "developer of the app",
        "type": "OAuthException",
        "code": 100,
    }


@pytest.mark.parametrize(
    ("input_token", "message"),
    [
        ("EAAgarbage", "Invalid OAuth access token - Cannot parse access token"),
        (f"{APP}|{'0' * 32}", "Invalid OAuth access token signature."),
    ],
)
async def test_a_bad_input_token_is_200_with_is_valid_false(meta: Emulation, input_token: str, message: str) -> None:
    answer = await meta.graph.get("debug_token", params={"input_token": input_token}, headers=BEARER)
    assert answer.status_code == 200
    assert answer.json() == {"data": {"error": {"code": 190, "message": message}, "is_valid": False, "scopes": []}}


async def test_an_expired_token_is_refused_with_190_subcode_463(meta: Emulation) -> None:
    await meta.providers.set({"meta.token_expired": True})
    answer = await meta.graph.get("debug_token", params={"input_token": SYSTEM_TOKEN}, headers=BEARER)
    assert answer.status_code == 401
    error = graph_error(answer)
    assert (error["code"], error["error_subcode"], error["type"]) == (190, 463, "OAuthException")
    inspected = await meta.graph.get("debug_token", params={"input_token": SYSTEM_TOKEN, "access_token": APP_TOKEN})
    data = inspected.json()["data"]
    assert data["is_valid"] is False and data["error"]["subcode"] == 463 and data["expires_at"] > 0


async def test_an_unknown_bearer_token_is_401_code_190(meta: Emulation) -> None:
    answer = await meta.graph.get(NUMBER, headers={"Authorization": "Bearer EAAnotatoken"})
    assert answer.status_code == 401
    assert graph_error(answer) == {
        "message": "Invalid OAuth access token - Cannot parse access token",
        "type": "OAuthException",
        "code": 190,
    }


# -- the phone number ----------------------------------------------------------------------


async def test_the_number_answers_its_default_fields(meta: Emulation) -> None:
    answer = await meta.graph.get(NUMBER, headers=BEARER)
    assert answer.json() == {
        "verified_name": seed.SEED_VERIFIED_NAME,
        "code_verification_status": "VERIFIED",
        "display_phone_number": seed.SEED_DISPLAY_PHONE_NUMBER,
        "quality_rating": "GREEN",
        "platform_type": "CLOUD_API",
        "throughput": {"level": "STANDARD"},
        "id": NUMBER,
    }


async def test_the_number_answers_only_the_fields_asked_for(meta: Emulation) -> None:
    answer = await meta.graph.get(NUMBER, params={"fields": "verified_name,throughput{level}"}, headers=BEARER)
    assert answer.json() == {
        "verified_name": seed.SEED_VERIFIED_NAME,
        "throughput": {"level": "STANDARD"},
        "id": NUMBER,
    }


async def test_an_unknown_field_is_code_100(meta: Emulation) -> None:
    answer = await meta.graph.get(NUMBER, params={"fields": "id,nonsense"}, headers=BEARER)
    assert answer.status_code == 400
    assert graph_error(answer)["message"] == (
        "(#100) Tried accessing nonexisting field (nonsense) on node type (WhatsAppBusinessPhoneNumber)"
    )


async def test_an_unknown_number_and_one_the_token_cannot_see_answer_the_same_100_33(meta: Emulation) -> None:
    unknown = await meta.graph.get("106540352242999", headers=BEARER)
    assert unknown.status_code == 400
    assert graph_error(unknown) == {
        **UNSUPPORTED_33,
        "message": UNSUPPORTED_33["message"].replace(NUMBER, "106540352242999"),
    }
    # the app token reaches no WABA: the seeded number is then just as invisible
    hidden = await meta.graph.get(NUMBER, params={"access_token": APP_TOKEN})
    assert hidden.status_code == 400 and graph_error(hidden) == UNSUPPORTED_33


async def test_health_status_names_every_entity_and_the_worst_verdict(meta: Emulation) -> None:
    answer = await meta.graph.get(NUMBER, params={"fields": "health_status"}, headers=BEARER)
    health = answer.json()["health_status"]
    assert health["can_send_message"] == "AVAILABLE"
    assert [(e["entity_type"], e["id"]) for e in health["entities"]] == [
        ("PHONE_NUMBER", NUMBER),
        ("WABA", WABA),
        ("BUSINESS", seed.SEED_META_BUSINESS_ID),
        ("APP", APP),
    ]
    for verdict, extra in (("LIMITED", "additional_info"), ("BLOCKED", "errors")):
        await meta.providers.set({"meta.health": verdict})
        health = (await meta.graph.get(NUMBER, params={"fields": "health_status"}, headers=BEARER)).json()
        number = health["health_status"]["entities"][0]
        assert health["health_status"]["can_send_message"] == verdict and number["can_send_message"] == verdict
        assert number[extra]


async def test_webhook_configuration_is_the_seeded_hook_then_only_the_levels_set(meta: Emulation) -> None:
    account = await meta.seeded_account("whatsapp")

    async def levels() -> dict[str, str]:
        answer = await meta.graph.get(NUMBER, params={"fields": "webhook_configuration"}, headers=BEARER)
        return answer.json()["webhook_configuration"]

    assert await levels() == {"application": meta.hook_url(account.id)}
    await meta.providers.set(
        {"meta.number_override_url": "https://number.example/hook", "meta.waba_override_url": "https://waba.example/h"}
    )
    assert await levels() == {
        "phone_number": "https://number.example/hook",
        "whatsapp_business_account": "https://waba.example/h",
        "application": meta.hook_url(account.id),
    }
    await meta.providers.set(
        {"meta.number_override_url": None, "meta.waba_override_url": "", "meta.app_callback_url": ""}
    )
    assert await levels() == {}


async def test_the_seeded_callback_follows_the_public_hook_url(fresh_backend: Callable[..., EmbeddedBackend]) -> None:
    async with seeded(fresh_backend, public_hook_url="https://hook.sandbox.example/v1.0") as meta:
        account = await meta.seeded_account("whatsapp")
        answer = await meta.graph.get(NUMBER, params={"fields": "webhook_configuration"}, headers=BEARER)
        expected = f"https://hook.sandbox.example/v1.0/conversation/accounts/{account.id}"
        assert answer.json()["webhook_configuration"] == {"application": expected}


async def test_a_forged_host_header_does_not_change_the_seeded_callback(meta: Emulation) -> None:
    account = await meta.seeded_account("whatsapp")
    answer = await meta.graph.get(
        NUMBER, params={"fields": "webhook_configuration"}, headers={**BEARER, "Host": "evil.example"}
    )
    assert answer.json()["webhook_configuration"] == {"application": meta.hook_url(account.id)}


# -- appsecret_proof -----------------------------------------------------------------------


async def test_the_right_proof_timed_or_untimed_passes(meta: Emulation) -> None:
    for params in (timed_proof(), proof()):
        answer = await meta.graph.get(NUMBER, params={"fields": "id", **params}, headers=BEARER)
        assert answer.json() == {"id": NUMBER}


@pytest.mark.parametrize(
    "params",
    [
        proof(secret="0" * 32),
        {"appsecret_proof": "not-hex"},
        proof(when=int(time.time()) - 3600),
    ],
    ids=["another-apps-secret", "garbage", "timed-an-hour-ago"],
)
async def test_a_wrong_proof_is_invalid_appsecret_proof(meta: Emulation, params: dict[str, str]) -> None:
    answer = await meta.graph.get(NUMBER, params={"fields": "id", **params}, headers=BEARER)
    assert answer.status_code == 400
    assert graph_error(answer) == {
        "message": "Invalid appsecret_proof provided in the API argument",
        "type": "GraphMethodException",
        "code": 100,
    }


async def test_require_app_secret_refuses_a_call_without_proof(meta: Emulation) -> None:
    await meta.providers.set({"meta.require_app_secret": True})
    answer = await meta.graph.get(NUMBER, headers=BEARER)
    assert answer.status_code == 400
    assert graph_error(answer)["message"] == "API calls from the server require an appsecret_proof argument"
    assert (await meta.graph.get(NUMBER, params=timed_proof(), headers=BEARER)).status_code == 200


# -- versions ----------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["v26.0", "v21.0", "v19.0"])
async def test_the_version_probe_on_a_version_that_exists(meta: Emulation, version: str) -> None:
    answer = await meta.graph.get(f"{graph_base(meta.backend)}/{version}/me")
    assert answer.status_code == 400
    assert graph_error(answer) == {
        "message": "An active access token must be used to query information about the current user.",
        "type": "OAuthException",
        "code": 2500,
    }


@pytest.mark.parametrize("version", ["v27.0", "v99.0", "latest"])
async def test_the_version_probe_on_a_version_that_does_not(meta: Emulation, version: str) -> None:
    answer = await meta.graph.get(f"{graph_base(meta.backend)}/{version}/me")
    assert answer.status_code == 400
    assert graph_error(answer) == {
        "message": f"Unknown path components: /{version}/me",
        "type": "OAuthException",
        "code": 2500,
    }


async def test_me_with_the_token_is_the_system_user(meta: Emulation) -> None:
    answer = await meta.graph.get("me", headers=BEARER)
    assert answer.json()["id"] == seed.SEED_META_SYSTEM_USER_ID


# -- subscriptions -------------------------------------------------------------------------


async def test_the_app_is_subscribed_to_the_waba_and_can_be_unsubscribed(meta: Emulation) -> None:
    listed = await meta.graph.get(f"{WABA}/subscribed_apps", headers=BEARER)
    assert listed.json() == {
        "data": [
            {
                "whatsapp_business_api_data": {
                    "id": APP,
                    "link": f"https://www.facebook.com/games/?app_id={APP}",
                    "name": seed.SEED_META_APP_NAME,
                }
            }
        ]
    }
    assert (await meta.graph.delete(f"{WABA}/subscribed_apps", headers=BEARER)).json() == {"success": True}
    assert (await meta.graph.get(f"{WABA}/subscribed_apps", headers=BEARER)).json() == {"data": []}
    state = await meta.providers.show()
    assert state["meta"]["waba"]["subscribed_app_ids"] == []
    await meta.providers.set({"meta.app_subscribed_to_waba": True})
    assert len((await meta.graph.get(f"{WABA}/subscribed_apps", headers=BEARER)).json()["data"]) == 1


async def test_subscribing_with_an_override_sets_it_and_without_one_clears_it(meta: Emulation) -> None:
    override = "https://waba-override.example/hook"
    posted = await meta.graph.post(f"{WABA}/subscribed_apps", json={"override_callback_uri": override}, headers=BEARER)
    assert posted.json() == {"success": True}
    listed = (await meta.graph.get(f"{WABA}/subscribed_apps", headers=BEARER)).json()
    assert listed["data"][0]["override_callback_uri"] == override
    await meta.graph.post(f"{WABA}/subscribed_apps", headers=BEARER)
    listed = (await meta.graph.get(f"{WABA}/subscribed_apps", headers=BEARER)).json()
    assert "override_callback_uri" not in listed["data"][0]


async def test_an_override_that_is_not_https_or_too_long_is_refused(meta: Emulation) -> None:
    for override in ("http://plain.example/hook", "https://long.example/" + "x" * 200):
        answer = await meta.graph.post(
            f"{WABA}/subscribed_apps", json={"override_callback_uri": override}, headers=BEARER
        )
        assert answer.status_code == 400 and graph_error(answer)["code"] == 100


async def test_subscribed_apps_of_an_unknown_waba_is_100_33(meta: Emulation) -> None:
    answer = await meta.graph.get("999999999999/subscribed_apps", headers=BEARER)
    assert graph_error(answer)["error_subcode"] == 33


async def test_app_subscriptions_list_messages_until_it_is_switched_off(meta: Emulation) -> None:
    account = await meta.seeded_account("whatsapp")
    answer = await meta.graph.get(f"{APP}/subscriptions", params={"access_token": APP_TOKEN})
    (entry,) = answer.json()["data"]
    assert entry["object"] == "whatsapp_business_account" and entry["active"] is True
    assert entry["callback_url"] == meta.hook_url(account.id)
    assert "messages" in [field["name"] for field in entry["fields"]]
    await meta.providers.set({"meta.messages_subscribed": False, "meta.app_callback_url": "https://elsewhere.example/"})
    (entry,) = (await meta.graph.get(f"{APP}/subscriptions", params={"access_token": APP_TOKEN})).json()["data"]
    assert "messages" not in [field["name"] for field in entry["fields"]]
    assert entry["callback_url"] == "https://elsewhere.example/"


async def test_app_subscriptions_need_the_app_token(meta: Emulation) -> None:
    with_user_token = await meta.graph.get(f"{APP}/subscriptions", headers=BEARER)
    assert with_user_token.status_code == 400 and graph_error(with_user_token)["code"] == 15
    wrong_secret = await meta.graph.get(f"{APP}/subscriptions", params={"access_token": f"{APP}|{'1' * 32}"})
    assert wrong_secret.status_code == 401
    assert graph_error(wrong_secret) == {
        "message": "Invalid OAuth access token signature.",
        "type": "OAuthException",
        "code": 190,
    }


async def test_the_app_token_can_be_fetched_with_client_credentials(meta: Emulation) -> None:
    params = {"client_id": APP, "client_secret": seed.SEED_META_APP_SECRET, "grant_type": "client_credentials"}
    answer = await meta.graph.get("oauth/access_token", params=params)
    assert answer.json() == {"access_token": APP_TOKEN, "token_type": "bearer"}
    wrong = await meta.graph.get("oauth/access_token", params={**params, "client_secret": "0" * 32})
    assert wrong.status_code == 400 and graph_error(wrong)["code"] == 1


async def test_an_unknown_graph_path_answers_in_graphs_envelope(meta: Emulation) -> None:
    answer = await meta.graph.get(f"{NUMBER}/nonsense/deeper", headers=BEARER)
    assert answer.status_code == 400 and graph_error(answer)["code"] == 2500


async def test_the_sandbox_access_key_is_not_a_graph_credential(meta: Emulation) -> None:
    key = meta.backend.accesskey.get_secret_value()
    for attempt in ({"headers": {"Authorization": f"Bearer {key}"}}, {"cookies": {"accesskey": key}}):
        async with httpx.AsyncClient(base_url=str(meta.graph.base_url), **attempt) as other:
            answer = await other.get(NUMBER)
        assert answer.status_code in (400, 401) and "error" in answer.json()


async def test_an_expiry_time_shows_in_debug_token_and_once_past_expires_the_token(meta: Emulation) -> None:
    soon = int(time.time()) + 3 * 86400
    await meta.providers.set({"meta.token_expires_at": soon})
    data = (await meta.graph.get("debug_token", params={"input_token": SYSTEM_TOKEN}, headers=BEARER)).json()["data"]
    assert (data["is_valid"], data["expires_at"]) == (True, soon)
    await meta.providers.set({"meta.token_expires_at": int(time.time()) - 60})
    answer = await meta.graph.get("debug_token", params={"input_token": SYSTEM_TOKEN}, headers=BEARER)
    assert answer.status_code == 401 and graph_error(answer)["error_subcode"] == 463
