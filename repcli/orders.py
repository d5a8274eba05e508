"""Orders from shop exports: import them, link reviews to them, list whom to invite.

Columns are found by the usual headers of Wildberries, Ozon, Yandex Market and generic
exports (RU/EN), or named with `--map field=Column` / `orders.columns` in the config. A file
with a bad row is refused whole (the error names file, line and column): nothing half-imported.

Linking: a review that names its order id is linked to that order; otherwise to the one order
of the same product, bought within `link_days` before the review by a customer whose name fits
the review's author ("Анна К." fits "Анна Котова"). Two candidates and it is left unlinked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from repcli import tabular
from repcli.clock import from_iso, to_iso
from repcli.errors import InputError, SourceError
from repcli.sources.wire import extract
from repcli.sources.wire.file_rows import FileSettings, RowReader, dig

if TYPE_CHECKING:
    from repcli.store.interfaces import OrderBook
    from repcli.store.rows import OrderRow, UnlinkedReviewRow

FIELDS = (
    "order_id", "customer", "email", "phone", "product_id", "product_name", "ordered_at",
    "delivered_at",
)  # fmt: skip
HEADERS: dict[str, tuple[str, ...]] = {
    "order_id": ("order_id", "номер заказа", "номер отправления", "заказ", "id заказа", "srid",
                 "order id", "order-id", "order number", "amazon-order-id"),
    "customer": ("customer", "фио", "покупатель", "имя покупателя", "фио покупателя", "получатель",
                 "клиент", "customer name", "buyer-name", "buyer name", "name"),
    "email": ("email", "e-mail", "почта", "электронная почта", "buyer-email", "customer email"),
    "phone": ("phone", "телефон", "телефон покупателя", "buyer-phone-number"),
    "product_id": ("product_id", "артикул", "артикул wb", "артикул ozon", "sku", "nmid", "nm id",
                   "код товара", "asin", "offer id"),
    "product_name": ("product_name", "товар", "наименование", "название товара",
                     "наименование товара", "название", "product", "product-name", "product name"),
    "ordered_at": ("ordered_at", "дата заказа", "дата оформления", "принят в обработку", "дата",
                   "order date", "purchase-date", "date"),
    "delivered_at": ("delivered_at", "дата доставки", "дата получения", "дата выдачи",
                     "доставлен", "delivery date", "delivered"),
}  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def mapping_for(header: list[str], explicit: Mapping[str, str], name: str) -> dict[str, str]:
    """Our field -> the file's column: what was named, else a known header."""
    for field in explicit:
        if field not in FIELDS:
            raise InputError(
                f"--map {field}=...: not an order field", f"fields: {', '.join(FIELDS)}"
            )
    columns = dict(explicit)
    by_norm = {tabular.loose_key(h): h for h in header}
    for field, candidates in HEADERS.items():
        if field in columns:
            continue
        for candidate in candidates:
            if candidate in by_norm:
                columns[field] = by_norm[candidate]
                break
    missing = [f for f in ("order_id", "ordered_at") if f not in columns]
    if missing:
        shown = ", ".join(repr(h) for h in header[:30]) or "none"
        raise InputError(
            f"{name}:1: no column for {' and '.join(missing)} (the file's columns: {shown})",
            "name them: repcli orders import FILE --map order_id='Номер заказа' "
            "--map ordered_at='Дата заказа'",
        )
    return columns


def read_orders(
    data: bytes,
    name: str,
    explicit: Mapping[str, str],
    platform: str | None = None,
    date_format: str | None = None,
    encoding: str = "utf-8-sig",
) -> list[dict[str, Any]]:
    """Every order row of a file, or an InputError naming the bad rows (first three)."""
    settings = FileSettings(path=name, columns={}, encoding=encoding, date_format=date_format)
    try:
        peek = RowReader(settings, "orders", {})
        first = next(iter(peek.rows(data, name)), None)
        if first is None:
            return []
        header = [str(k) for k in first[1]]
        columns = mapping_for(header, explicit, name)
        reader = RowReader(settings, "orders", columns)
        orders: list[dict[str, Any]] = []
        bad = tabular.BadRows()
        for where, record, found in reader.rows(data, name):
            try:
                orders.append(_order(record, found, where, platform, date_format))
            except SourceError as exc:
                bad.add(exc.message)
    except SourceError as exc:
        raise InputError(exc.message, exc.hint) from None
    if bad:
        raise InputError(
            bad.summary(),
            "fix those cells (or --map / --date-format) and import again; nothing was stored",
        )
    return orders


def _order(
    record: Mapping[str, Any],
    found: dict[str, str],
    where: str,
    platform: str | None,
    date_format: str | None,
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field, column in found.items():
        value = dig(record, column)  # a row shorter than the header has no cell: empty
        text = str(value).strip() if isinstance(value, str | int | float) else ""
        if field in ("ordered_at", "delivered_at"):
            if not text:
                if field == "ordered_at":
                    raise SourceError(f"{where}: column {column!r}: the order date is empty")
                continue
            try:
                text = to_iso(extract.parse_date(text, date_format, field)) or ""
            except SourceError as exc:
                raise SourceError(f"{where}: column {column!r}: {exc.message}") from None
        values[field] = text or None
    if not values.get("order_id"):
        raise SourceError(f"{where}: column {found['order_id']!r}: the order number is empty")
    values["platform"] = platform
    values["raw"] = {str(k): v for k, v in record.items() if v not in (None, "")}
    return values


def names_fit(author: str | None, customer: str | None) -> bool:
    """ "Анна К." fits "Анна Котова" and "котова анна"; "Анна" fits "Анна Котова"; placeholders
    fit nobody."""
    from repcli.analysis.names import is_placeholder

    if is_placeholder(author) or not customer:
        return False
    said = _WORD.findall(tabular.loose_key(author or ""))
    full = _WORD.findall(tabular.loose_key(customer))
    if not said or not full:
        return False
    if said[0] not in full:
        return False
    rest = [w for w in full if w != said[0]]
    return all(any(w.startswith(part) for w in rest) for part in said[1:])


def link(store: OrderBook, now: datetime, link_days: int = 60) -> int:
    """Link unlinked reviews to orders; returns how many were linked. In a transaction."""
    linked = 0
    for item in store.unlinked_reviews():
        match = _match(store, item, link_days)
        if match:
            order, reason = match
            store.link_order(item["id"], order["id"], now, reason)
            linked += 1
    return linked


def _match(
    store: OrderBook, item: UnlinkedReviewRow, link_days: int
) -> tuple[OrderRow, str] | None:
    if order_id := item["order_id"]:
        rows = store.orders_by_order_id(order_id)
        if rows:
            same = [
                r for r in rows if r["product_id"] and r["product_id"] == item.get("product_id")
            ]
            order = (same or rows)[0]
            return order, f"order {order['order_id']}: the review names it"
    product_id, author = item["product_id"], item["author"]
    if not product_id or not author:
        return None
    created = from_iso(item["created_at"])
    assert created is not None
    since = to_iso(created - timedelta(days=link_days)) or ""
    candidates = [
        o
        for o in store.orders_for_product(product_id, item["created_at"], since)
        if names_fit(author, o.get("customer"))
    ]
    if len(candidates) != 1:
        return None
    order = candidates[0]
    return order, (
        f"order {order['order_id']}: {order['customer']} bought this product "
        f"{(order['ordered_at'] or '')[:10]}, the review's author is {author}"
    )


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read it: {exc.strerror or exc}") from None


def invite_rows(
    store: OrderBook, now: datetime, days: int, window: int
) -> Iterator[dict[str, Any]]:
    """Orders bought (or delivered) `days` ago, give or take `window` days before, with no
    review: whom to ask for one."""
    until = to_iso(now - timedelta(days=days)) or ""
    since = to_iso(now - timedelta(days=days + window)) or ""
    for order in store.uninvited(since, until):
        yield {k: order.get(k) for k in FIELDS}
