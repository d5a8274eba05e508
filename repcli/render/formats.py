"""Machine formats: json, jsonl, csv, md. Pure functions: records in, text out.

JSON is versioned (`{"version": 1, ...}`); CSV cells that a spreadsheet would run as a formula
are defused; Markdown escapes pipes. Column order is the order of `columns`, always.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

SCHEMA_VERSION = 1
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _plain(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def csv_cell(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def to_json(payload: Mapping[str, Any]) -> str:
    return json.dumps({"version": SCHEMA_VERSION, **payload}, ensure_ascii=False, indent=2) + "\n"


def to_jsonl(records: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    lines = []
    for record in records:
        row = {c: record.get(c) for c in columns} if columns else dict(record)
        lines.append(json.dumps(row, ensure_ascii=False))
    return "".join(line + "\n" for line in lines)


def to_csv(records: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([csv_cell(record.get(c)) for c in columns])
    return buf.getvalue()


def md_cell(value: Any) -> str:
    """A Markdown table cell: pipes and backslashes escaped, and HTML too (Markdown viewers
    pass raw HTML through: review text must never become markup); newlines become <br>."""
    value = _plain(value)
    if value is None:
        return ""
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>")


def to_markdown(
    records: Sequence[Mapping[str, Any]], columns: Sequence[str], headers: Sequence[str]
) -> str:
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    ]
    for record in records:
        lines.append("| " + " | ".join(md_cell(record.get(c)) for c in columns) + " |")
    return "\n".join(lines) + "\n"
