"""The accounts list as data, without Textual: the loaded accounts in server order, how each
reads in the table, and which of them show, in which order (filter, rank, sort).

Cells and search text are computed once per account, so a keystroke in the filter is a list
comprehension, and a save or a delete changes one entry without a reload. The table draws
``rows()``, a view that builds only the lines it is asked for.

The filter: plain words match what the list shows (type, name, flow, and detail when its
column is on screen), so a row never matches through text the user cannot see; ``id:`` and
``detail:`` (also ``name:``, ``type:``, ``flow:``) reach one field at any width. Matches are
ranked: the exact name first, then names that start with the text, then names that contain
every word, then the rest, so ``enter`` after a full name opens that account.

It holds ``Listed`` accounts: the API's ``Account`` models, or, for the list last seen drawn in
the first frame before the models are imported, the cache's plain ``ListedAccount`` records;
both read into the same cells.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import overload
from uuid import UUID

from voipbin_tui.account_cache import Listed
from voipbin_tui.presentation import flow_label, local_time
from voipbin_tui.terminal_text import multi_line, one_line

LAST_SEEN = "last seen"
"""Marks the list in the status line while it is the one kept from the last run."""

FIELD_PREFIXES = ("id", "detail", "name", "type", "flow")
"""``prefix:word`` matches only that field."""
SHOWN_FIELDS = ("type", "name", "flow")
"""Plain words match these, at every width."""
RANK_EXACT, RANK_NAME_STARTS, RANK_NAME_HAS_ALL, RANK_OTHER = range(4)
_OLDEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class AccountFilter:
    """A parsed filter: plain words (all must match a shown field) and ``field:word`` terms."""

    text: str
    words: tuple[str, ...]
    terms: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, text: str) -> AccountFilter:
        words: list[str] = []
        terms: list[tuple[str, str]] = []
        for token in text.casefold().split():
            field, colon, value = token.partition(":")
            if colon and field in FIELD_PREFIXES:
                if value:  # "id:" alone, still being typed, asks for nothing yet
                    terms.append((field, value))
            else:
                words.append(token)
        return cls(text, tuple(words), tuple(terms))

    @property
    def is_empty(self) -> bool:
        return not self.words and not self.terms

    def matches(self, fields: Mapping[str, str], shown_text: str) -> bool:
        """``fields`` are casefolded per field; ``shown_text`` is the shown fields joined."""
        return all(word in shown_text for word in self.words) and all(
            value in fields.get(field, "") for field, value in self.terms
        )

    def rank(self, name: str) -> int:
        """How well a casefolded name answers the plain words (lower is better)."""
        if not self.words:
            return RANK_OTHER
        phrase = " ".join(self.words)
        if name == phrase:
            return RANK_EXACT
        if name.startswith(phrase):
            return RANK_NAME_STARTS
        if all(word in name for word in self.words):
            return RANK_NAME_HAS_ALL
        return RANK_OTHER


def describe_scope(detail_shown: bool) -> str:
    """The filter bar's note of what plain words match, and how to reach the rest."""
    fields = (*SHOWN_FIELDS, "detail") if detail_shown else SHOWN_FIELDS
    more = "id:" if detail_shown else "id: detail:"
    return f"in {', '.join(fields)} · {more} for more"


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int | None
    """Fixed width, or None to share what the fixed columns leave."""
    sort_key: Callable[[Listed, Mapping[UUID, str]], str | datetime]
    compact: bool = True
    """Shown in narrow terminals too."""


COLUMNS: tuple[Column, ...] = (
    Column("type", "Type", 8, lambda a, _: str(a.type)),
    Column("name", "Name", None, lambda a, _: a.name.casefold()),
    Column("detail", "Detail", None, lambda a, _: a.detail.casefold(), compact=False),
    Column("flow", "Flow", 16, lambda a, names: flow_label(a.message_flow_id, names).casefold()),
    Column("created", "Created", 16, lambda a, _: a.tm_create or _OLDEST, compact=False),
    Column("updated", "Updated", 16, lambda a, _: a.tm_update or _OLDEST),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}


class RowView(Sequence[list[str]]):
    """The visible rows, materialized only for the lines the table actually draws."""

    def __init__(self, ids: list[str], cells: dict[str, dict[str, str]], column_keys: list[str]) -> None:
        self._ids = ids
        self._cells = cells
        self._keys = column_keys

    def __len__(self) -> int:
        return len(self._ids)

    @overload
    def __getitem__(self, index: int) -> list[str]: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[list[str]]: ...
    def __getitem__(self, index: int | slice) -> list[str] | Sequence[list[str]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        cells = self._cells[self._ids[index]]
        return [cells[key] for key in self._keys]


class AccountIndex:
    """Every loaded account, and the table's view of them: the filter, the sort and whether
    the detail column is on screen (then plain words match it too)."""

    def __init__(self) -> None:
        # keyed by the id as text: str hashes are cached in C, UUID hashes are computed in Python
        self._accounts: dict[str, Listed] = {}
        self._flow_names: dict[UUID, str] = {}
        self._cells: dict[str, dict[str, str]] = {}
        self._fields: dict[str, dict[str, str]] = {}
        """Per account, casefolded: what ``field:word`` filter terms look in."""
        self._shown_text: dict[str, str] = {}
        """Per account, casefolded: the always-shown fields, which plain words match."""
        self._ordered: list[str] | None = None
        """Every id in the current sort order; None until needed after a change."""
        self._visible: list[str] = []
        self._filter = AccountFilter.parse("")
        self.sort_key: str | None = None
        """A column's key, or None for the server's order (newest first)."""
        self.sort_reverse = False
        self.detail_shown = False

    # -- the loaded accounts ------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._accounts)

    def __contains__(self, account_id: object) -> bool:
        return str(account_id) in self._accounts

    def get(self, account_id: UUID | str) -> Listed | None:
        return self._accounts.get(str(account_id))

    @property
    def accounts(self) -> list[Listed]:
        """Every loaded account, in the server's order (newest first)."""
        return list(self._accounts.values())

    @property
    def flow_names(self) -> Mapping[UUID, str]:
        return self._flow_names

    def replace(self, accounts: Iterable[Listed], flow_names: Mapping[UUID, str] | None = None) -> None:
        """Start again from ``accounts`` (a reload's first page), with the flows' names now."""
        if flow_names is not None:
            self._flow_names = dict(flow_names)
        self._accounts, self._cells, self._fields, self._shown_text = {}, {}, {}, {}
        for account in accounts:
            self._remember(account)

    def append(self, page: Iterable[Listed]) -> bool:
        """Add a further page. True when it only extends the view at the bottom (server order,
        no filter), so what is drawn stays put; False when the view must be worked out again."""
        added = [self._remember(account) for account in page]
        if self.sort_key is None and self._filter.is_empty:
            self._visible.extend(added)
            return True
        return False

    def put(self, account: Listed) -> None:
        """An account saved: updated where it is, or, new, first (as the server orders)."""
        key = str(account.id)
        if key not in self._accounts:
            self._accounts = {key: account, **self._accounts}
        self._remember(account)

    def remove(self, account_id: UUID | str) -> None:
        key = str(account_id)
        for store in (self._accounts, self._cells, self._fields, self._shown_text):
            store.pop(key, None)
        self._ordered = None

    def _remember(self, account: Listed) -> str:
        key = str(account.id)
        self._accounts[key] = account
        cells = {
            "type": one_line(str(account.type)) or "?",
            "name": one_line(account.name),
            "detail": one_line(account.detail),
            "flow": one_line(flow_label(account.message_flow_id, self._flow_names)),
            "created": local_time(account.tm_create),
            "updated": local_time(account.tm_update) or "never",  # as the detail says
        }
        self._cells[key] = cells
        fields = {name: cells[name].casefold() for name in ("type", "name", "detail", "flow")}
        fields["id"] = key
        self._fields[key] = fields
        self._shown_text[key] = f"{fields['type']} {fields['name']} {fields['flow']}"
        self._ordered = None
        return key

    # -- the view -----------------------------------------------------------------------

    @property
    def filter_text(self) -> str:
        return self._filter.text

    @filter_text.setter
    def filter_text(self, text: str) -> None:
        self._filter = AccountFilter.parse(text)

    @property
    def visible_ids(self) -> Sequence[str]:
        """The ids on show, top to bottom, as of the last ``refresh`` (or ``append``)."""
        return self._visible

    @property
    def shown(self) -> list[Listed]:
        """The accounts on show, top to bottom."""
        return [self._accounts[key] for key in self._visible]

    def shown_at(self, row: int) -> Listed | None:
        return self._accounts.get(self._visible[row]) if 0 <= row < len(self._visible) else None

    def row_of(self, account_id: UUID | str) -> int | None:
        try:
            return self._visible.index(str(account_id))
        except ValueError:
            return None

    def sort_by(self, key: str | None, *, reverse: bool = False) -> None:
        self.sort_key, self.sort_reverse = key, reverse
        self._ordered = None

    def sort_by_header(self, key: str) -> None:
        """A header clicked: sort by it, or reverse if it is the sort already."""
        self.sort_by(key, reverse=not self.sort_reverse if key == self.sort_key else False)

    def sort_by_next_column(self) -> None:
        """Cycle through the columns on screen, then back to the server's order."""
        keys = [column.key for column in self.columns()]
        position = keys.index(self.sort_key) + 1 if self.sort_key in keys else 0
        self.sort_by(keys[position] if position < len(keys) else None)

    def reverse_sort(self) -> None:
        if self.sort_key is None:  # the server's order is newest first: reversed, oldest first
            self.sort_by("created")
        else:
            self.sort_by(self.sort_key, reverse=not self.sort_reverse)

    def columns(self) -> tuple[Column, ...]:
        return tuple(column for column in COLUMNS if column.compact or self.detail_shown)

    def header_label(self, column: Column) -> str:
        if column.key != self.sort_key:
            return column.label
        return f"{column.label} {'▼' if self.sort_reverse else '▲'}"

    def refresh(self) -> Sequence[str]:
        """Work out which ids show, in which order: matches of the filter ranked (the exact name
        first), in sort order within a rank."""
        ordered = self._sorted_ids()
        query = self._filter
        if query.is_empty:
            self._visible = list(ordered)
            return self._visible
        fields, shown = self._fields, self._shown_text
        if self.detail_shown:
            ids = [i for i in ordered if query.matches(fields[i], f"{shown[i]} {fields[i]['detail']}")]
        else:
            ids = [i for i in ordered if query.matches(fields[i], shown[i])]
        if query.words:
            ids.sort(key=lambda i: query.rank(fields[i]["name"]))  # stable: sort order within a rank
        self._visible = ids
        return ids

    def _sorted_ids(self) -> list[str]:
        if self._ordered is None or len(self._ordered) != len(self._accounts):
            ids = list(self._accounts)  # server order: newest first
            if self.sort_key is not None:
                sort_key, names = COLUMN_BY_KEY[self.sort_key].sort_key, self._flow_names
                ids.sort(key=lambda i: sort_key(self._accounts[i], names), reverse=self.sort_reverse)
            self._ordered = ids
        return self._ordered

    def rows(self) -> RowView:
        """The visible accounts as table rows, in the columns on screen."""
        return RowView(self._visible, self._cells, [column.key for column in self.columns()])

    # -- what the list says about itself ------------------------------------------------

    def status(self, *, loading: bool, failed: bool, last_seen: datetime | None = None) -> str:
        """The status line: how many, whether the list is the one last seen (and when), whether
        more are coming, and the sort."""
        total = len(self._accounts)
        count = f"{total} account{'s' if total != 1 else ''}"
        parts = [f"{len(self._visible)} of {count}" if self.filter_text else count]
        if last_seen is not None:
            parts.append(f"{LAST_SEEN} {local_time(last_seen)}")
        if loading:
            parts.append("loading more…" if total else "loading…")
        elif failed:
            parts.append("not loaded: see the message above")
        if self.sort_key is not None:
            label = COLUMN_BY_KEY[self.sort_key].label.lower()
            parts.append(f"sorted by {label} {'▼' if self.sort_reverse else '▲'}")
        return " · ".join(parts)

    def empty_message(self, *, connect_error: str | None, load_error: str | None, loaded: bool) -> str:
        """What the table's space says when no row shows (and why), or "" when rows show."""
        if not self._accounts:
            if connect_error is not None:
                return (
                    f"Could not connect.\n{multi_line(connect_error)}\n\nFix that, then press R to try again (q quits)."
                )
            if load_error is not None:
                return f"Could not load accounts.\n{one_line(load_error)}\n\nPress r to retry."
            if loaded:
                return "No accounts yet.\n\nPress n to create a LINE, SMS or WhatsApp account."
            return "Loading accounts…"
        if not self._visible:
            return f"No account matches “{one_line(self.filter_text)}”.\n\nPress esc to clear the filter."
        return ""
