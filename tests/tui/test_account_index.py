"""The accounts list as data (``AccountIndex``), without Textual or Pilot: what matches a filter
and in which order, sorting, paging in, saves and deletes, and what the list says of itself."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from voipbin_tui.api import Account
from voipbin_tui.tui.account_index import COLUMN_BY_KEY, RANK_EXACT, AccountFilter, AccountIndex, describe_scope

SUPPORT = UUID(int=0xF10)
START = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def account(number: int, name: str, kind: str = "sms", detail: str = "", **fields: object) -> Account:
    return Account.model_validate(
        {
            "id": str(UUID(int=number)),
            "type": kind,
            "name": name,
            "detail": detail,
            "message_flow_id": str(SUPPORT),
            "tm_create": (START - timedelta(minutes=number)).isoformat(),
            **fields,
        }
    )


def index_of(*accounts: Account, detail_shown: bool = False) -> AccountIndex:
    index = AccountIndex()
    index.detail_shown = detail_shown
    index.replace(accounts, {SUPPORT: "Support"})
    index.refresh()
    return index


def names(index: AccountIndex) -> list[str]:
    return [shown.name for shown in index.shown]


def filtered(index: AccountIndex, text: str) -> list[str]:
    index.filter_text = text
    index.refresh()
    return names(index)


SEED = (
    account(1, "LINE Official Account", "line"),
    account(2, "SMS alerts", "sms", detail="Delivery by carrier"),
    account(3, "Acme WhatsApp", "whatsapp"),
)


def test_plain_words_match_only_what_the_list_shows() -> None:
    narrow = index_of(*SEED)
    assert filtered(narrow, "li") == ["LINE Official Account"]  # not "SMS alerts" through "Delivery"
    assert filtered(narrow, "detail:carrier") == ["SMS alerts"]
    assert filtered(narrow, str(SEED[2].id)[-12:]) == []  # the id is never shown
    assert filtered(narrow, f"id:{str(SEED[2].id)[-12:]}") == ["Acme WhatsApp"]
    assert filtered(narrow, "support whatsapp") == ["Acme WhatsApp"]  # the flow's name is shown
    wide = index_of(*SEED, detail_shown=True)
    assert filtered(wide, "li") == ["LINE Official Account", "SMS alerts"]


def test_the_exact_name_comes_first_then_names_that_start_with_it() -> None:
    index = index_of(account(1, "ops backup"), account(2, "backup"), account(3, "backup east"))
    assert filtered(index, "backup") == ["backup", "backup east", "ops backup"]
    assert AccountFilter.parse("Backup").rank("backup") == RANK_EXACT


def test_an_unfinished_field_term_asks_for_nothing_yet() -> None:
    index = index_of(*SEED)
    assert filtered(index, "id:") == names(index_of(*SEED))
    assert AccountFilter.parse("id: ").is_empty


def test_sorting_by_columns_then_back_to_the_servers_order() -> None:
    index = index_of(*SEED)
    index.sort_by_header("name")
    index.refresh()
    assert names(index) == ["Acme WhatsApp", "LINE Official Account", "SMS alerts"]
    index.sort_by_header("name")  # the same header again: reversed
    index.refresh()
    assert names(index) == ["SMS alerts", "LINE Official Account", "Acme WhatsApp"]
    keys = []
    index.sort_by(None)
    for _ in index.columns():
        index.sort_by_next_column()
        keys.append(index.sort_key)
    index.sort_by_next_column()
    assert keys == [column.key for column in index.columns()] and index.sort_key is None


def test_the_oldest_first_when_the_servers_order_is_reversed() -> None:
    index = index_of(*SEED)  # created: 1 is the newest
    index.reverse_sort()
    index.refresh()
    assert names(index) == ["Acme WhatsApp", "SMS alerts", "LINE Official Account"]
    assert index.header_label(COLUMN_BY_KEY["created"]) == "Created ▲"


def test_a_later_page_extends_the_view_in_place_unless_filtered_or_sorted() -> None:
    index = index_of(SEED[0])
    assert index.append([SEED[1]]) and names(index) == ["LINE Official Account", "SMS alerts"]
    index.filter_text = "acme"
    assert not index.append([SEED[2]])
    index.refresh()
    assert names(index) == ["Acme WhatsApp"] and len(index) == 3


def test_a_save_changes_one_entry_and_a_new_account_comes_first() -> None:
    index = index_of(*SEED)
    index.put(account(2, "SMS alerts (renamed)", "sms"))
    index.put(account(9, "Brand new", "line"))
    index.refresh()
    assert names(index) == ["Brand new", "LINE Official Account", "SMS alerts (renamed)", "Acme WhatsApp"]
    index.remove(SEED[0].id)
    index.refresh()
    assert SEED[0].id not in index and SEED[1].id in index and len(index) == 3
    assert index.get(SEED[0].id) is None and index.shown_at(0) == index.get(UUID(int=9))


def test_cells_are_one_escaped_line_and_never_changed_says_so() -> None:
    index = index_of(account(1, "evil\x1b[31m\nname", "sms"), detail_shown=True)
    row = index.rows()[0]
    assert "\x1b" not in "".join(row) and "\n" not in "".join(row)
    assert row[index.columns().index(next(c for c in index.columns() if c.key == "updated"))] == "never"
    assert row[index.columns().index(next(c for c in index.columns() if c.key == "flow"))] == "Support"


def test_what_the_list_says_about_itself() -> None:
    index = AccountIndex()
    assert index.empty_message(connect_error=None, load_error=None, loaded=False) == "Loading accounts…"
    assert index.empty_message(connect_error="db\x1b broken", load_error=None, loaded=False).startswith(
        "Could not connect.\ndb"
    )
    assert "Press r to retry" in index.empty_message(connect_error=None, load_error="500", loaded=True)
    assert index.empty_message(connect_error=None, load_error=None, loaded=True).startswith("No accounts yet.")
    assert index.status(loading=True, failed=False) == "0 accounts · loading…"
    index = index_of(*SEED)
    assert index.empty_message(connect_error=None, load_error=None, loaded=True) == ""
    index.filter_text = "nothing like it"
    index.sort_by("name", reverse=True)
    index.refresh()
    assert index.empty_message(connect_error=None, load_error=None, loaded=True).startswith("No account matches")
    assert index.status(loading=False, failed=False) == "0 of 3 accounts · sorted by name ▼"
    assert describe_scope(detail_shown=False) == "in type, name, flow · id: detail: for more"


WORDS = st.sampled_from(["acme", "line", "sms", "ops", "east", "support", "x"])


@settings(max_examples=150, deadline=None)
@given(
    entries=st.lists(
        st.tuples(st.lists(WORDS, min_size=1, max_size=3), st.sampled_from(["line", "sms", "whatsapp"])),
        max_size=12,
    ),
    query=st.lists(WORDS, max_size=3),
    sort_key=st.sampled_from([None, "type", "name", "flow", "updated"]),
    reverse=st.booleans(),
)
def test_the_view_is_exactly_the_matches_best_first(
    entries: list[tuple[list[str], str]], query: list[str], sort_key: str | None, reverse: bool
) -> None:
    accounts = [account(i + 1, " ".join(words), kind) for i, (words, kind) in enumerate(entries)]
    index = index_of(*accounts)
    index.sort_by(sort_key, reverse=reverse)
    index.filter_text = " ".join(query)
    index.refresh()
    parsed = AccountFilter.parse(index.filter_text)
    expected = {a.id for a in accounts if all(w in f"{a.type} {a.name} support".casefold() for w in parsed.words)}
    assert {shown.id for shown in index.shown} == expected
    ranks = [parsed.rank(shown.name.casefold()) for shown in index.shown]
    assert ranks == sorted(ranks)  # best first
    assert len(index.rows()) == len(index.shown)


def test_the_index_loads_no_textual() -> None:
    code = "import sys, voipbin_tui.tui.account_index; print('textual' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
