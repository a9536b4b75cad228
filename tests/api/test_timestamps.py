from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voipbin_tui.api.timestamps import format_page_token, format_voipbin_time, parse_voipbin_time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01T10:00:00Z", datetime(2024, 3, 1, 10, 0, tzinfo=UTC)),
        ("2024-03-01T10:00:00.1Z", datetime(2024, 3, 1, 10, 0, 0, 100000, tzinfo=UTC)),
        ("2024-03-01T10:00:00.123456Z", datetime(2024, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2024-03-01T10:00:00.123456789Z", datetime(2024, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2022-06-24 04:28:51.558082", datetime(2022, 6, 24, 4, 28, 51, 558082, tzinfo=UTC)),
        ("2024-03-01T19:00:00+09:00", datetime(2024, 3, 1, 10, 0, tzinfo=UTC)),
    ],
)
def test_every_documented_form_parses_to_utc(text: str, expected: datetime) -> None:
    parsed = parse_voipbin_time(text)
    assert parsed == expected
    assert parsed is not None and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("never", [None, "", "9999-01-01 00:00:00.000000", "9999-01-01T00:00:00Z"])
def test_null_empty_and_the_year_9999_sentinel_mean_never(never: str | None) -> None:
    assert parse_voipbin_time(never) is None


@pytest.mark.parametrize("garbage", ["yesterday", "2024-13-01T00:00:00Z", "2024-03-01", "2024-03-01T10:00:00.Z"])
def test_garbage_is_an_error_not_never(garbage: str) -> None:
    with pytest.raises(ValueError):
        parse_voipbin_time(garbage)


def test_formatting_matches_voipbin() -> None:
    moment = datetime(2024, 3, 1, 10, 0, 0, 500000, tzinfo=UTC)
    assert format_voipbin_time(moment) == "2024-03-01T10:00:00.5Z"
    assert format_voipbin_time(moment.replace(microsecond=0)) == "2024-03-01T10:00:00Z"
    assert format_page_token(moment) == "2024-03-01T10:00:00.500000Z"


moments = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9998, 12, 31), timezones=st.just(UTC))


@given(moments)
def test_format_then_parse_round_trips(moment: datetime) -> None:
    assert parse_voipbin_time(format_voipbin_time(moment)) == moment
    assert parse_voipbin_time(format_page_token(moment)) == moment


@given(moments, st.integers(min_value=0, max_value=9), st.sampled_from(["T", " "]), st.sampled_from(["Z", ""]))
def test_any_fraction_length_and_separator(moment: datetime, digits: int, separator: str, zone: str) -> None:
    fraction = f"{moment.microsecond:06d}{'789'}"[:digits]
    text = moment.strftime(f"%Y-%m-%d{separator}%H:%M:%S") + (f".{fraction}" if digits else "") + zone
    expected_micro = int(fraction.ljust(6, "0")[:6]) if digits else 0
    assert parse_voipbin_time(text) == moment.replace(microsecond=expected_micro)
