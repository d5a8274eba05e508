"""The shortcuts on the ingest path (issue 23) give exactly what the general code gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from repcli.clock import to_iso
from repcli.errors import SourceError
from repcli.sources.wire import extract
from repcli.sources.wire.file_import import _date, _utf8
from repcli.store import writes
from repcli.textcheck import escape_surrogates, surrogate

WORDS = "2026 0001 9999 - 05 13 31 T 10 : 00 24 . 1234567 5 , Z z +03:00 -0530 +00:00:30.5 W18 x"
PIECES = [*WORDS.split(), " ", "\t"]
ISO_PIECES = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)


def _outcome(call: Any) -> Any:
    try:
        return call()
    except SourceError as exc:
        return ("refused", exc.message)


@settings(max_examples=800, deadline=None)
@given(st.one_of(ISO_PIECES, st.text(max_size=30), st.integers(0, 2**41)))
def test_the_iso_shortcut_reads_dates_as_parse_date_does(value: Any) -> None:
    assert _outcome(lambda: _date(value, None)) == _outcome(
        lambda: extract.parse_date(value, None, "date")
    )


def test_the_iso_shortcut_covers_what_exports_hold() -> None:
    for value, want in (
        ("2026-05-01T10:00:00Z", datetime(2026, 5, 1, 10, tzinfo=UTC)),
        ("2026-05-01T13:00:00.1234567+03:00", datetime(2026, 5, 1, 10, 0, 0, 123456, UTC)),
        ("2026-05-01", datetime(2026, 5, 1, tzinfo=UTC)),
    ):
        got = _date(value, None)
        assert got == want and got.tzinfo is UTC


@settings(max_examples=500, deadline=None)
@given(
    st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=3))]) | st.none()),
)
def test_times_are_stored_as_to_iso_writes_them(when: datetime) -> None:
    if when.tzinfo is not None:
        try:
            when.astimezone(UTC)
        except OverflowError:
            return
    assert writes._iso(when) == to_iso(when)
    assert writes._iso(when.astimezone(UTC) if when.tzinfo else when) == to_iso(when)
    assert writes._iso(None) is None


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(), JSON, max_size=5))
def test_raw_is_stored_as_before_lone_surrogates_escaped(raw: dict[str, Any]) -> None:
    encoded = json.JSONEncoder(ensure_ascii=False, default=str).encode(raw)
    assert writes._raw_json(raw) == escape_surrogates(encoded)


@given(st.text())
def test_utf8_is_false_exactly_for_text_with_a_lone_surrogate(text: str) -> None:
    assert _utf8(text) == (surrogate(text) is None)


def test_reasons_and_topics_json_is_json_dumps_and_its_memory_bounded() -> None:
    for n in range(5000):
        values = tuple(f"cue {n % 7}: «{i}»" for i in range(n % 4))
        assert writes._json_list(values) == json.dumps(list(values), ensure_ascii=False)
    assert len(writes._JSON_LISTS) <= 4096
