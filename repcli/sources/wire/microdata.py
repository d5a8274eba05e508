"""schema.org microdata (`itemscope` / `itemtype` / `itemprop`) read into the same dicts JSON-LD
gives, so one walker finds reviews in both (WHATWG HTML Living Standard, 5 Microdata: an
element's value is its `content`, `href`/`src`, `<time datetime>`, `<data value>` or its text;
a property belongs to the nearest enclosing item)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from repcli.sources.wire import extract

MAX_DEPTH = 64
"""Items nested deeper than this are not read: no real page needs it."""

_URL_PROPS = {"a": "href", "area": "href", "link": "href", "img": "src", "audio": "src",
              "video": "src", "source": "src", "embed": "src", "iframe": "src", "track": "src",
              "object": "data"}  # fmt: skip


def items(doc: Any, url: str) -> list[dict[str, Any]]:
    """The page's top-level microdata items as JSON-LD-shaped dicts (HTML standard, 5.2)."""
    tops = [el for el in doc.find_all(attrs={"itemscope": True}) if not el.has_attr("itemprop")]
    return [_micro_item(el, url, 0) for el in tops[:500]]


def _micro_item(scope: Any, url: str, depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {}
    itemtype = _attr(scope, "itemtype")
    if itemtype:
        node["@type"] = itemtype.split()
    if itemid := _attr(scope, "itemid"):
        node["@id"] = itemid
    if depth > MAX_DEPTH:
        return node
    for el in _properties(scope):
        value = _micro_item(el, url, depth + 1) if el.has_attr("itemscope") else _value(el, url)
        for name in (_attr(el, "itemprop") or "").split():
            node.setdefault(name, []).append(value)
    return {k: (v[0] if isinstance(v, list) and len(v) == 1 else v) for k, v in node.items()}


def _properties(scope: Any) -> list[Any]:
    """Elements carrying itemprop that belong to `scope` (not to an item nested in it)."""
    found = []
    stack = list(reversed(scope.find_all(True, recursive=False)))
    while stack:
        el = stack.pop()
        if el.has_attr("itemprop"):
            found.append(el)
        if el.has_attr("itemscope"):
            continue
        stack.extend(reversed(el.find_all(True, recursive=False)))
    return found


def _attr(el: Any, name: str) -> str | None:
    value = el.get(name)
    if isinstance(value, list):
        value = " ".join(value)
    return str(value).strip() if value is not None else None


def _value(el: Any, url: str) -> str:
    """A property's value: content/href/src/datetime/value attributes, or the element's text."""
    if el.has_attr("content"):
        return _attr(el, "content") or ""
    attr = _URL_PROPS.get(el.name)
    if attr and el.has_attr(attr):
        return urljoin(url, _attr(el, attr) or "")
    if el.name == "time" and el.has_attr("datetime"):
        return _attr(el, "datetime") or ""
    if el.name in ("data", "meter") and el.has_attr("value"):
        return _attr(el, "value") or ""
    return extract.tidy(el.get_text(" "))
