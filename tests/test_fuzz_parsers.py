"""Hypothesis fuzz of every connector's row parser: whatever JSON a platform (or a proxy, or a
broken release) sends, only repcli's own errors come out, never KeyError/TypeError/..."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repcli.clock import from_iso
from repcli.errors import RepcliError
from repcli.sources.base import FetchContext
from repcli.sources.registry import parse_config, source_class

NOW = from_iso("2026-11-23T09:00:00Z")
SETTINGS = {
    "wildberries": "token: x",
    "ozon": "client_id: '1'\n    api_key: x",
    "vk": "group_id: 1\n    access_token: t",
    "google_play": "app_id: shop.demo.app",
    "app_store": "app_id: '1600000000'",
    "ebay": "user_id: seller\n    access_token: t",
    "trustpilot": "domain: shop.example",
    "youtube": "api_key: k\n    channel_id: UC123",
    "reddit": "query: shop\n    user_agent: repcli-test",
    "telegram": "bot_token: '123456:ABCdefGhIJKlmNoPQRsTUVwxyZ123456789'\n    chat_id: -1001234567890",
    "yandex_market": "business_id: '123'\n    api_key: k",
    "facebook": "page_id: '1'\n    access_token: t",
    "google_business": "account_id: '1'\n    client_id: c\n    client_secret: s\n"
    "    refresh_token: r",
    "instagram": "ig_user_id: '1'\n    access_token: t",
}


def source(type_name: str) -> Any:
    config = parse_config(
        f"sources:\n  - name: s\n    type: {type_name}\n    {SETTINGS[type_name]}\n"
    )
    assert NOW is not None
    return source_class(type_name)(config.sources[0], FetchContext(NOW))


def _telegram(src: Any, row: Any) -> Any:
    from repcli.sources.telegram import _State

    updates = row if isinstance(row, list) else [row]  # the fetch passes only objects on
    return src._read([u for u in updates if isinstance(u, dict)], _State())


def _reddit(src: Any, row: Any) -> Any:
    from repcli.sources.reddit import _Stream

    return src._item(row, _Stream("k", "/r/x/new", {}, comments=True))


def _yandex_market(src: Any, row: Any) -> Any:
    """A review row (its seller comment is fetched only for `commentsCount` > 0: no network)."""
    if isinstance(row, dict) and isinstance(row.get("statistics"), dict):
        row = {**row, "statistics": {**row["statistics"], "commentsCount": 0}}
    return asyncio.run(src._item(row))


def _facebook(src: Any, row: Any) -> Any:
    """A post (a visitor's when its `from` is not the Page) and a comment on it (the fetch
    passes only objects on)."""
    rows = [r for r in (row if isinstance(row, list) else [row]) if isinstance(r, dict)]
    post = rows[0] if rows else {"id": "1_2"}
    return src._items({"id": "1_2", **post}, rows[1:] or rows)


def _instagram(src: Any, row: Any) -> Any:
    """A medium (its `username` names the account) and one thread of comments on it."""
    rows = [r for r in (row if isinstance(row, list) else [row]) if isinstance(r, dict)]
    medium = {"id": "1", **(rows[0] if rows else {})}
    return src._items(medium, [rows[1:] or rows])


PARSERS: dict[str, Callable[[Any, Any], Any]] = {
    "wildberries": lambda s, row: s._item(row, "review"),
    "ozon": lambda s, row: s._item(row, "review"),
    "vk": lambda s, row: s._items(1, "post", [row] if isinstance(row, dict) else [], {}),
    "google_play/web": lambda s, row: s._web_item(row),
    "google_play/api": lambda s, row: s._api_item(row),
    "app_store": lambda s, row: s._connect_item(row, {}, "1600000000"),
    "ebay": lambda s, row: s._item(row),
    "trustpilot/api": lambda s, row: s._api_item(row),
    "trustpilot/web": lambda s, row: s._web_item(row),
    "youtube": lambda s, row: s._comment(row, "v1", {}),
    "reddit": _reddit,
    "telegram": _telegram,
    "yandex_market": _yandex_market,
    "facebook": _facebook,
    "google_business": lambda s, row: s._item(row, "accounts/1/locations/2", None),
    "instagram": _instagram,
}

# The platforms' own keys, at any depth (with any values), and arbitrary JSON.
KEYS = ["id", "text", "pros", "cons", "productValuation", "createdDate", "answer", "userName",
        "productDetails", "rating", "published_at", "sku", "date", "from_id", "reviewId",
        "authorName", "comments", "userComment", "lastModified", "attributes", "data", "kind",
        "snippet", "message", "chat", "message_id", "reply_to_message", "feedbackId", "stars",
        "title", "body", "createdAt", "author", "identifiers", "description", "statistics",
        "comment", "advantages", "offerId", "orderId", "created_time", "from", "parent",
        "attachment", "type", "reviewId", "starRating", "createTime", "updateTime",
        "reviewReply", "reviewer", "timestamp", "username", "parent_id", "caption", "permalink",
        0, 1, 2, 4, 5, 7]  # fmt: skip
NAMES = [str(k) for k in KEYS]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(NAMES) | st.text(max_size=12), inner, max_size=6)
    ),
    max_leaves=25,
)
rows = st.dictionaries(st.sampled_from(NAMES), json_values, max_size=10) | json_values
lists = st.lists(json_values, max_size=12)  # positional rows (Google Play's web endpoint)


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_parsers_raise_only_our_errors(name: str) -> None:
    src = source(name.split("/", maxsplit=1)[0])
    parse = PARSERS[name]

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(rows | lists)
    def check(row: Any) -> None:
        with contextlib.suppress(RepcliError):
            parse(src, row)

    check()
