"""Classify many texts at once (the `analyze` command): parse the input rows, run the analyzer."""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from repcli import tabular
from repcli.analysis.verdict import Analyzer
from repcli.errors import InputError, UsageError
from repcli.models import Item, Kind

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NOT_NEGATIVE = "not negative"
"""The class of a 0 / false label: neutral or positive, the file does not say which."""
_COMPLAINTS = tabular.Complaints(error=InputError)
"""A file given to `analyze` / `train --from-file` is refused with an InputError (exit 7); it
is read as UTF-8, with the delimiter sniffed: no settings to name in a hint."""


def read_texts(
    data: bytes | str, name: str, text_field: str = "text", rating_field: str | None = None
) -> list[tuple[int, str, int | None]]:
    """(line number, text, rating) rows from plain text, JSONL or CSV (told apart by the name's
    suffix, else by the first line; CSV as `tabular.Csv` reads it). Errors name the input, line
    and field."""
    text = decode(data, name)
    lines = split_lines(text)
    first = next((line for line in lines if line.strip()), "")
    if name.endswith(".jsonl") or (not name.endswith(".csv") and first.lstrip().startswith("{")):
        return list(_jsonl(lines, name, text_field, rating_field))
    if name.endswith(".csv"):
        return list(_csv(text, name, text_field, rating_field))
    return [(n, line, None) for n, line in enumerate(lines, 1) if line.strip()]


def decode(data: bytes | str, name: str) -> str:
    """UTF-8 (a BOM is dropped); an InputError naming the line and byte offset otherwise."""
    return tabular.decode(data, name, _COMPLAINTS, label="UTF-8")


def split_lines(text: str) -> list[str]:
    """Lines as JSON Lines and CSV define them: ended by \\n or \\r\\n only (`str.splitlines`
    also splits on U+2028, U+0085, \\x0b... which a JSON string or a cell may hold)."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


_SURROGATE = re.compile("[\ud800-\udfff]")


def _checked(text: str, where: str, field: str) -> str:
    """A JSON string may escape half of a UTF-16 pair (\\ud800): that is not text."""
    if (bad := _SURROGATE.search(text)) is not None:
        raise InputError(
            f"{where}: {field!r} holds a lone surrogate (\\u{ord(bad.group()):04x}), not text",
            "escape characters outside the BMP as a pair (\\ud83d\\ude00) or write them as UTF-8",
        )
    return text


def _table(text: str, name: str) -> tabular.Csv:
    """CSV text with a header, as the `file` source reads it (delimiter sniffed or named by a
    `sep=` line, strict quoting); an InputError naming file:line for a row it cannot read."""
    return tabular.Csv(io.StringIO(text, newline=""), name, _COMPLAINTS)


def _rating(value: Any, where: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        rating = round(float(value))
    except (TypeError, ValueError):
        raise InputError(f"{where}: rating {value!r} is not a number 1-5") from None
    if not 1 <= rating <= 5:
        raise InputError(f"{where}: rating {value!r} is outside 1-5")
    return rating


def _jsonl(
    lines: list[str], name: str, field: str, rating_field: str | None
) -> Iterator[tuple[int, str, int | None]]:
    for n, row in tabular.json_lines(lines, name, _COMPLAINTS):
        if not isinstance(row.get(field), str):
            raise UsageError(
                f"{name}:{n}: no text in {field!r}", "say which key holds the text with --field"
            )
        rating = _rating(row.get(rating_field), f"{name}:{n}") if rating_field else None
        yield n, _checked(row[field], f"{name}:{n}", field), rating


def _csv(
    text: str, name: str, field: str, rating_field: str | None
) -> Iterator[tuple[int, str, int | None]]:
    table = _table(text, name)
    if field not in table.header:
        raise UsageError(
            f"{name}:1: no column {field!r} (columns: {', '.join(table.header)})",
            "say which column holds the text with --field",
        )
    for n, row in table.rows():
        rating = _rating(row.get(rating_field), f"{name}:{n}") if rating_field else None
        yield n, row.get(field) or "", rating


def classify_rows(
    rows: Iterable[tuple[int, str, int | None]],
    analyzer: Analyzer | None = None,
    kind: Kind = "review",
) -> list[dict[str, Any]]:
    """Each text analysed as an item of this kind (a trained model reads only the kinds it was
    validated on; a text that asks is read as a question whatever its kind)."""
    analyzer = analyzer or Analyzer()
    results = []
    for n, text, rating in rows:
        item = Item(
            source="-", platform="-", kind=kind,
            external_id=str(n), created_at=_EPOCH, text=text, rating=rating,
        )  # fmt: skip
        verdict = analyzer.analyse(item)
        results.append(
            {
                "line": n,
                "label": verdict.sentiment,
                "score": verdict.score,
                "negative": verdict.negative,
                "lang": verdict.lang,
                "reasons": list(verdict.reasons),
                "topics": list(verdict.topics),
                "text": text,
            }
        )
    return results


_LABELS = {
    "negative": "negative", "neg": "negative", "1": "negative", "true": "negative",
    "bad": "negative", "neutral": "neutral", "positive": "positive", "pos": "positive",
    "good": "positive", "0": NOT_NEGATIVE, "false": NOT_NEGATIVE,
}  # fmt: skip


def label_of(rating: int) -> bool:
    """Ratings as training labels: 1-2 negative; 3 (neutral) and 4-5 not."""
    return rating <= 2


def class_of(rating: int) -> str:
    """A 1-5 rating as a class: 1-2 negative, 3 neutral, 4-5 positive."""
    return "negative" if rating <= 2 else "neutral" if rating == 3 else "positive"


@dataclasses.dataclass(frozen=True, slots=True)
class Labelled:
    """One labelled text: its class (negative / neutral / positive, or "not negative" for a
    0 / false label), and the row's `kind` and `source` when it has them."""

    line: int
    text: str
    label: str
    kind: str | None = None
    source: str | None = None

    @property
    def negative(self) -> bool:
        return self.label == "negative"


def read_labelled(
    data: bytes | str, name: str, text_field: str, label_field: str, rating_field: str
) -> list[tuple[str, bool]]:
    """(text, negative?) of `read_labelled_rows`."""
    return [
        (r.text, r.negative)
        for r in read_labelled_rows(data, name, text_field, label_field, rating_field)
    ]


def read_labelled_rows(
    data: bytes | str, name: str, text_field: str, label_field: str, rating_field: str
) -> list[Labelled]:
    """Labelled texts from JSONL or CSV rows with a label (negative/neutral/positive, 1/0)
    or a 1-5 rating, and optional `kind` and `source` keys. InputError naming the file, line
    and field otherwise."""
    body = decode(data, name)
    lines = split_lines(body)
    first = next((line for line in lines if line.strip()), "")
    records: list[tuple[int, Mapping[str, Any]]]
    if name.endswith(".csv") or (
        not name.endswith(".jsonl") and not first.lstrip().startswith("{")
    ):
        table = _table(body, name)
        if text_field not in table.header:
            raise InputError(
                f"{name}:1: no column {text_field!r} (columns: {', '.join(table.header)})",
                "name the text column with --text-field",
            )
        records = list(table.rows())
    else:
        records = list(tabular.json_lines(lines, name, _COMPLAINTS))
    out: list[Labelled] = []
    for n, row in records:
        text = row.get(text_field)
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"{name}:{n}: no text in {text_field!r}", "name it with --text-field")
        _checked(text, f"{name}:{n}", text_field)
        kind, source = (str(row.get(k) or "").strip() or None for k in ("kind", "source"))
        label = row.get(label_field)
        if label not in (None, ""):
            key = str(label).strip().lower()
            if key not in _LABELS:
                raise InputError(
                    f"{name}:{n}: {label_field} {label!r} is not a label",
                    "use negative / neutral / positive (or 1 / 0)",
                )
            out.append(Labelled(n, text, _LABELS[key], kind, source))
            continue
        rating: Any = row.get(rating_field)  # None, text or a number: float() decides
        try:
            stars = round(float(rating))
        except (TypeError, ValueError):
            raise InputError(
                f"{name}:{n}: neither {label_field!r} nor {rating_field!r} (1-5) is given",
                "name the fields with --label-field / --rating-field",
            ) from None
        if not 1 <= stars <= 5:
            raise InputError(f"{name}:{n}: {rating_field} {rating!r} is outside 1-5")
        out.append(Labelled(n, text, class_of(stars), kind, source))
    return out
