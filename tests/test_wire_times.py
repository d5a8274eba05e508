"""One reading of unix times for every source: seconds, or milliseconds above 1e11."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from repcli.errors import SourceError
from repcli.sources.wire.extract import parse_date
from repcli.sources.wire.parse import UNIX_MILLISECONDS, from_unix, parse_time

WHEN = datetime(2026, 5, 14, 9, 30, tzinfo=UTC)
SECONDS = int(WHEN.timestamp())


@pytest.mark.parametrize("value", [SECONDS, SECONDS * 1000, float(SECONDS), str(SECONDS * 1000)])
def test_api_and_page_parsers_read_seconds_and_milliseconds_alike(value: object) -> None:
    assert parse_time(value) == WHEN
    assert parse_date(value) == WHEN


def test_the_millisecond_rule_starts_above_1e11() -> None:
    assert from_unix(UNIX_MILLISECONDS) == datetime.fromtimestamp(1e11, tz=UTC)  # seconds
    assert from_unix(UNIX_MILLISECONDS + 1000) == datetime.fromtimestamp(1e8 + 1, tz=UTC)


def test_a_unix_time_no_clock_shows_is_our_error() -> None:
    with pytest.raises(SourceError, match="not a plausible unix time"):
        from_unix(-1e300, "created")
    with pytest.raises(SourceError, match="after the year 2200"):
        parse_time(9_999_999_999)  # seconds in the year 2286: a placeholder, not a date
