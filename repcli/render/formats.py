"""Machine formats: json, jsonl, csv, md. Pure functions: records in, text out.

JSON is versioned (`{"version": 1, ...}`); CSV cells that a spreadsheet would run as a formula
are defused; Markdown escapes what would become markup or break a table. Column order is the
order of `columns`, always.
"""

from __future__ import annotations

import csv
import io
import json
import re
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


_MD_SPECIAL = re.compile(r"([\\`*_\[\]~|])")
_INNER_UNDERSCORE = re.compile(r"(?<=[^\W_])\\_(?=[^\W_])")
_URL_SAFE = ":/?#@!$&'*+,;=%~-._"
"""What stays as is in a Markdown link's address: the rest (parentheses, spaces, pipes, angle
brackets, quotes, backslashes, non-ASCII) is percent-encoded, so no address ends the link early,
breaks a table row or becomes HTML."""


def md_text(value: Any) -> str:
    """Data as Markdown inline text that reads as itself: escape sequences and control
    characters dropped; HTML escaped (Markdown viewers pass raw HTML through: review text must
    never become markup); emphasis, code, links, strikethrough and table pipes escaped."""
    value = _plain(value)
    if value is None:
        return ""
    from repcli.render.human import strip_controls

    text = strip_controls(str(value)).replace("\t", " ")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # An underscore inside a word (jess_k, #app_payment) cannot start emphasis: left as is.
    return _INNER_UNDERSCORE.sub("_", _MD_SPECIAL.sub(r"\\\1", text))


def md_cell(value: Any) -> str:
    """A Markdown table cell: `md_text`, with newlines as <br>."""
    return md_text(value).replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")


def md_link(label: Any, url: Any) -> str:
    """`[label](url)` when url is an http(s) address, else the label alone (a `javascript:`
    or `data:` address from a platform is never a link)."""
    from urllib.parse import quote, urlsplit

    text = md_cell(label)
    if not isinstance(url, str):
        return text
    from repcli.render.human import strip_controls

    address = strip_controls(url).strip()
    try:
        parts = urlsplit(address)
    except ValueError:  # an invalid IPv6 host
        return text
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return text
    return f"[{text}]({quote(address, safe=_URL_SAFE)})"


def md_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown table's lines from cells already escaped (`md_cell`, `md_link`)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def to_markdown(
    records: Sequence[Mapping[str, Any]], columns: Sequence[str], headers: Sequence[str]
) -> str:
    rows = [[md_cell(record.get(c)) for c in columns] for record in records]
    return "\n".join(md_table(headers, rows)) + "\n"
