"""Google Play's web endpoint wire format (`batchexecute`), as the Play Store page itself
speaks it: the `f.req` request, the `)]}'`-prefixed answer of envelopes whose payload is a JSON
string, and the positional review rows. Pure functions; `google_play.py` does the fetching."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from repcli.errors import SourceError
from repcli.http import HttpError, Response, RetryLater

BATCH_PATH = "/_/PlayStoreUi/data/batchexecute"
SORT_NEWEST = 2
GATEWAY_ERROR = "com.google.play.gateway.proto.PlayGatewayError"


def web_request(rpc_id: str, app_id: str, count: int, token: str | None) -> str:
    """The `f.req` form value: one rpc envelope whose arguments are themselves JSON text."""
    page: list[Any] = [count, None, token] if token else [count]
    if rpc_id == "UsvDTd":  # the shape used until late 2023
        args: list[Any] = [
            None,
            None,
            [2, SORT_NEWEST, [count, None, token], None, [None, None]],
            [app_id, 7],
        ]
    else:
        args = [None, [2, SORT_NEWEST, page, None, [None, None, *[None] * 6, None]], [app_id, 7]]
    inner = json.dumps(args, separators=(",", ":"), ensure_ascii=False)
    return json.dumps([[[rpc_id, inner, None, "generic"]]], separators=(",", ":"))


def parse_batch(text: str, rpc_id: str) -> tuple[list[Any], str | None]:
    """Reviews and the next page's token from a batchexecute answer."""
    if not text.startswith(")]}'"):
        raise HttpError(
            f"Google Play: not a batchexecute answer (expected `)]}}'`, got {text[:60]!r})"
        )
    try:
        envelopes = json.loads(text[4:])
    except ValueError:
        raise HttpError("Google Play: the batchexecute answer is not valid JSON") from None
    envelope = next(
        (
            e
            for e in (envelopes if isinstance(envelopes, list) else [])
            if isinstance(e, list) and len(e) > 2 and e[0] == "wrb.fr" and e[1] == rpc_id
        ),
        None,
    )
    if envelope is None:
        raise SourceError(f"Google Play: the answer has no {rpc_id} envelope")
    if envelope[2] is None:
        status = envelope[5] if len(envelope) > 5 else None
        if status:  # an error status instead of a payload
            raise HttpError(f"Google Play refused the {rpc_id} call (status {status!r:.80})")
        return [], None
    if not isinstance(envelope[2], str):
        raise SourceError(f"Google Play: the {rpc_id} payload is not a JSON string")
    try:
        payload = json.loads(envelope[2])
    except ValueError:
        raise HttpError(f"Google Play: the {rpc_id} payload is not valid JSON") from None
    if payload is None:
        return [], None
    reviews = at(payload, 0)
    if reviews is not None and not isinstance(reviews, list):
        raise SourceError("Google Play: the reviews in the payload are not a list")
    token = at(payload, 1, 1)
    return list(reviews or []), token if isinstance(token, str) and token else None


def gateway_check(response: Response) -> None:
    if response.status < 400 and GATEWAY_ERROR.encode() in response.content:
        raise RetryLater("Google Play is throttling (PlayGatewayError)", wait=5.0)


def at(value: Any, *path: int) -> Any:
    """value[i][j]..., or None where the positional data is shorter or null."""
    for index in path:
        if not isinstance(value, list) or index >= len(value):
            return None
        value = value[index]
    return value


def stamp(seconds: Any, nanos: Any) -> datetime:
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        raise SourceError(f"Google Play: {seconds!r} is not a time in unix seconds")
    extra = nanos // 1000 if isinstance(nanos, int) and not isinstance(nanos, bool) else 0
    return datetime.fromtimestamp(int(seconds), tz=UTC) + timedelta(microseconds=extra)
