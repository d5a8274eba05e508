"""The HTTP layer against hostile servers on 127.0.0.1: a public reply is never sent twice, a
credential never follows a redirect to another host, and no server can hang a run or fill the
memory. Real sockets (tests/hostilekit.py for what pytest-httpserver cannot do); the retry
waits run on a fake clock, the time caps on short real deadlines (asserted by their error, with
generous bounds on the time taken)."""

from __future__ import annotations

import asyncio
import gzip
import json
import math
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer

from repcli.http import (
    MAX_WAIT,
    HostLimit,
    Http,
    HttpError,
    OutcomeUnknown,
    retry_after,
)
from tests.hostilekit import (
    RawServer,
    Received,
    answer,
    answer_after,
    drip_body,
    drip_headers,
    drop,
    raw_server,
    reset,
    respond,
)
from tests.httpkit import fake_http, run_sources

FAST = HostLimit(rate=1000, burst=1000, concurrency=4)
SECRET = "hostile-http-secret-5f4e3d2c1b"


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def call(http: Http, method: str, url: str, **kw: Any) -> Any:
    try:
        return await http.request(method, url, limit=FAST, **kw)
    finally:
        await http.aclose()


# ------------------------------------------------ 1. a non-idempotent request is sent once


@pytest.mark.parametrize(
    ("handler", "what"),
    [
        (answer(502, b"<html>502 Bad Gateway</html>"), "HTTP 502"),
        (answer(500), "HTTP 500"),
        (answer_after(5), "timed out"),
        (drop, "connection"),
        (reset, "connection"),
    ],
    ids=["502", "500", "answer-after-timeout", "closed", "reset"],
)
def test_a_post_that_may_have_acted_is_sent_once(handler: Any, what: str) -> None:
    http, clock = fake_http(timeout=httpx.Timeout(1.0))
    with raw_server(handler) as server:
        with pytest.raises(OutcomeUnknown) as info:
            run(call(http, "POST", server.url("/v1/answer"), json_body={"text": "Спасибо!"}))
        assert len(server.received) == 1
    error = info.value
    assert error.message.startswith(f"127.0.0.1:{server.port}: ")
    assert what in error.message
    assert error.hint is not None and "--was-posted" in error.hint
    assert http.waits == [] and clock.slept == []


def test_a_get_is_still_retried_after_a_dropped_connection() -> None:
    http, _ = fake_http(max_attempts=3)
    with raw_server(drop) as server:
        with pytest.raises(HttpError, match="still failing after 3 attempts") as info:
            run(call(http, "GET", server.url("/list")))
        assert len(server.received) == 3
    assert not isinstance(info.value, OutcomeUnknown)


def test_a_post_that_reads_is_retried_when_marked_idempotent() -> None:
    http, _ = fake_http(max_attempts=3)
    with raw_server(answer(502)) as server:
        with pytest.raises(HttpError, match="HTTP 502, still failing after 3 attempts"):
            run(call(http, "POST", server.url("/v1/review/list"), json_body={}, idempotent=True))
        assert len(server.received) == 3


def test_a_put_is_idempotent_by_default_and_a_get_can_be_marked_not() -> None:
    http, _ = fake_http(max_attempts=2)
    with raw_server(answer(503)) as server:
        with pytest.raises(HttpError, match="still failing after 2 attempts"):
            run(call(http, "PUT", server.url("/reply"), json_body={}))
        assert len(server.received) == 2
    http, _ = fake_http(max_attempts=2)
    with raw_server(answer(503)) as server:
        with pytest.raises(OutcomeUnknown):
            run(call(http, "GET", server.url("/send?text=hi"), idempotent=False))
        assert len(server.received) == 1


def test_a_rate_limited_post_did_not_act_and_is_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/sendMessage", method="POST").respond_with_data(
        '{"ok": false, "error_code": 429}', status=429, headers={"Retry-After": "3"}
    )
    httpserver.expect_ordered_request("/sendMessage", method="POST").respond_with_json({"ok": True})
    http, _ = fake_http()
    response = run(call(http, "POST", httpserver.url_for("/sendMessage"), json_body={"text": "x"}))
    assert response.status == 200
    assert len(httpserver.log) == 2
    assert http.waits == [3.0]


# ------------------------------------------------ 2. credentials stay with their host


def _redirecting(location: str, status: int = 302) -> Any:
    def handle(server: RawServer, conn: socket.socket, request: Received) -> None:
        respond(conn, status, headers={"Location": location})

    return handle


CALLER_HEADERS = {
    "Authorization": f"Bearer {SECRET}",
    "Client-Id": "123456",
    "Api-Key": SECRET,
    "apikey": SECRET,
    "X-EBAY-C-MARKETPLACE-ID": "EBAY_DE",
    "Accept": "application/json",
    "Accept-Language": "ru",
}
SAFE = {"accept", "accept-language", "user-agent"}


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_origin_carries_no_credential(status: int) -> None:
    with raw_server(answer(200, b'{"ok": 1}')) as other:
        # Like a front server that normalises the path and keeps the query it was given.
        query = f"page=2&access_token={SECRET}&key={SECRET}&apikey={SECRET}&token={SECRET}"
        location = other.url(f"/landing?{query}&lang=ru")
        with raw_server(_redirecting(location, status)) as first:
            http, _ = fake_http()
            url = first.url(f"/reviews?token={SECRET}")
            params = {"page": 2, "access_token": SECRET, "key": SECRET, "apikey": SECRET}
            response = run(call(http, "GET", url, params=params, headers=CALLER_HEADERS))
        assert response.status == 200 and response.url.startswith(other.url("/landing"))
        [first_request] = first.received
        assert first_request.headers["api-key"] == SECRET  # the caller's own host got them
        [landed] = other.received
    sent = {name for name in landed.headers if name not in {"host", "connection"}}
    assert sent <= SAFE | {"accept-encoding", "content-length"}, sent
    assert SECRET not in json.dumps(landed.headers)
    assert SECRET not in landed.target
    assert landed.query == {"lang": ["ru"]}  # what the caller passed is dropped, not the rest
    assert landed.headers["accept"] == "application/json"


def test_a_redirect_on_the_same_origin_keeps_the_headers() -> None:
    def handle(server: RawServer, conn: socket.socket, request: Received) -> None:
        if request.path == "/old":
            respond(conn, 301, headers={"Location": "/new?page=1"})
        else:
            respond(conn, 200, b"{}")

    with raw_server(handle) as server:
        http, _ = fake_http()
        run(call(http, "GET", server.url("/old"), headers={"Api-Key": SECRET}))
        assert [r.headers.get("api-key") for r in server.received] == [SECRET, SECRET]
        assert server.received[1].target == "/new?page=1"


def test_a_body_is_never_resent_to_another_origin() -> None:
    with raw_server(answer(200)) as other:
        with raw_server(_redirecting(other.url("/elsewhere"), 307)) as first:
            http, _ = fake_http()
            with pytest.raises(HttpError, match="another host") as info:
                run(call(http, "POST", first.url("/method"), form={"access_token": SECRET}))
        assert other.received == []
    assert SECRET not in str(info.value)


def test_same_host_redirects_only_when_asked() -> None:
    with raw_server(answer(200)) as other:
        with raw_server(_redirecting(other.url("/x"))) as first:
            http, _ = fake_http()
            with pytest.raises(HttpError, match=r"redirected to another host \(127\.0\.0\.1:"):
                run(call(http, "GET", first.url("/page"), same_host_redirects=True))
        assert other.received == []


def test_redirects_are_capped() -> None:
    with raw_server(_redirecting("/again")) as server:
        http, _ = fake_http()
        with pytest.raises(HttpError, match="more than 10 redirects"):
            run(call(http, "GET", server.url("/start")))
        assert len(server.received) == 11


def test_a_redirect_to_another_scheme_is_refused() -> None:
    with raw_server(_redirecting("file:///etc/passwd")) as server:
        http, _ = fake_http()
        with pytest.raises(HttpError, match="redirected to a file: URL"):
            run(call(http, "GET", server.url("/start")))


# ------------------------------------------------ 3. no run hangs


@pytest.mark.parametrize(
    ("handler", "label"),
    [(drip_body(0.3), "body"), (drip_headers(0.3), "headers")],
    ids=["body", "headers"],
)
def test_a_dripping_server_ends_at_the_total_cap(handler: Any, label: str) -> None:
    """One byte (or one header line) every 0.3 s never trips a read timeout; the cap on the
    whole request ends it."""
    http, _ = fake_http(total_timeout=1.5)
    with raw_server(handler) as server:
        start = time.monotonic()
        with pytest.raises(HttpError, match=r"no complete answer within 1\.5 s") as info:
            run(call(http, "GET", server.url("/slow")))
        took = time.monotonic() - start
        assert len(server.received) == 1  # not retried: a retry would drip as slowly
    assert took < 10
    assert not isinstance(info.value, OutcomeUnknown)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("nan", None),
        ("NaN", None),
        ("-5", None),
        ("-inf", None),
        ("inf", math.inf),
        ("1e400", math.inf),
        ("99999999999", 99999999999.0),
        ("7", 7.0),
        ("0", 0.0),
    ],
)
def test_retry_after_values_are_read_sanely(value: str, expected: float | None) -> None:
    assert retry_after({"retry-after": value}) == expected


def test_a_nan_retry_after_falls_back_to_backoff(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/r").respond_with_data(
        "", status=429, headers={"Retry-After": "nan"}
    )
    httpserver.expect_ordered_request("/r").respond_with_json({})
    http, _ = fake_http(backoff=2.0)
    run(call(http, "GET", httpserver.url_for("/r")))
    [wait] = http.waits
    assert 2.0 <= wait <= 4.0


@pytest.mark.parametrize(
    "header",
    [
        {"Retry-After": "3600"},
        {"Retry-After": "inf"},
        {"Retry-After": "1e400"},
        {"X-Ratelimit-Retry": str(int(MAX_WAIT) + 1)},
        {"Retry-After": "Sat, 23 May 2026 11:00:00 GMT", "Date": "Sat, 23 May 2026 09:00:00 GMT"},
    ],
)
def test_a_wait_past_the_ceiling_ends_the_request_without_sleeping(
    httpserver: HTTPServer, header: dict[str, str]
) -> None:
    httpserver.expect_request("/r").respond_with_data("", status=429, headers=header)
    http, clock = fake_http()
    with pytest.raises(HttpError, match=r"rate limited for (\d+ s|longer than \d+ s); try later"):
        run(call(http, "GET", httpserver.url_for("/r")))
    assert len(httpserver.log) == 1
    assert clock.slept == [] and http.waits == []


def test_a_wait_past_the_ceiling_from_a_check_ends_the_request(httpserver: HTTPServer) -> None:
    from repcli.http import RetryLater

    httpserver.expect_request("/vk").respond_with_json({"error": {"error_code": 6}})
    http, clock = fake_http()

    def check(response: Any) -> None:
        raise RetryLater("VK error 6", wait=86400.0)

    with pytest.raises(HttpError, match="rate limited for 86400 s; try later"):
        run(call(http, "POST", httpserver.url_for("/vk"), check=check))
    assert clock.slept == []


# ------------------------------------------------ 4. nothing listening fails fast


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_refused_connection_fails_at_once_with_a_base_url_hint(method: str) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    http, clock = fake_http()
    with pytest.raises(HttpError) as info:
        run(call(http, method, f"http://127.0.0.1:{port}/api"))
    error = info.value
    assert not isinstance(error, OutcomeUnknown)  # nothing was sent: nothing may have happened
    assert "connection refused" in error.message and f"127.0.0.1:{port}" in error.message
    assert error.hint is not None and "base_url" in error.hint and "proxy" in error.hint
    assert "rate limiting" not in str(error)
    assert http.waits == [] and clock.slept == []


# ------------------------------------------------ 5. bounded memory per response


def _gzip_page(body: bytes) -> Any:
    packed = gzip.compress(body, compresslevel=9)

    def handle(server: RawServer, conn: socket.socket, request: Received) -> None:
        respond(conn, 200, packed, {"Content-Encoding": "gzip", "Content-Type": "application/json"})

    return handle


def test_a_compression_bomb_is_refused_early() -> None:
    body = b"[" + b"{}," * (8 * 1024 * 1024) + b"{}]"  # 24 MiB of JSON in ~24 KB of gzip
    http, _ = fake_http()
    with raw_server(_gzip_page(body)) as server:
        with pytest.raises(HttpError, match="compressed more than 100:1") as info:
            run(call(http, "GET", server.url("/reviews")))
        assert len(server.received) == 1  # refused for good, not retried
    assert info.value.message.startswith(f"127.0.0.1:{server.port}: ")


def test_a_big_gzip_page_of_ordinary_ratio_passes() -> None:
    rows = [
        {"id": i, "text": f"Отзыв номер {i}: доставка {i * 7919 % 1000} дней"} for i in range(40000)
    ]
    body = json.dumps(rows, ensure_ascii=False).encode()
    assert len(body) > 2 * 1024 * 1024
    http, _ = fake_http()
    with raw_server(_gzip_page(body)) as server:
        response = run(call(http, "GET", server.url("/reviews")))
    assert response.content == body


def test_the_default_size_cap_is_for_json_apis() -> None:
    from repcli.http import MAX_BYTES

    assert 8 * 1024 * 1024 <= MAX_BYTES <= 16 * 1024 * 1024


# ------------------------------------------------ 3d. a per-source deadline in a run


def _wb_page(n: int) -> bytes:
    rows = [
        {
            "id": f"slow{i}", "text": f"Отзыв {i}", "pros": "", "cons": "", "productValuation": 2,
            "createdDate": "2026-05-01T10:00:00+03:00", "answer": None, "state": "none",
            "userName": "Анна", "productDetails": {"nmId": 1, "productName": "Чайник"},
        }
        for i in range(n)
    ]  # fmt: skip
    data = {"countUnanswered": n, "countArchive": 0, "feedbacks": rows}
    return json.dumps({"data": data, "error": False, "errorText": ""}).encode()


def test_a_source_past_its_timeout_stops_and_the_others_go_on(
    tmp_path: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The slow host answers its first page, then stalls (well inside every HTTP timeout):
    the source ends at its `timeout:` with what it stored kept; the other source finishes."""

    def slow(server: RawServer, conn: socket.socket, request: Received) -> None:
        if len(server.received) == 1:
            respond(conn, 200, _wb_page(3))
        else:
            server.stop.wait(60)

    httpserver.expect_request("/api/v1/feedbacks").respond_with_data(
        _wb_page(0), content_type="application/json"
    )
    monkeypatch.setenv("WB_TOKEN", "wb-deadline-token-0123456789")
    with raw_server(slow) as server:
        config = (
            f"store: {tmp_path / 'r.db'}\nsources:\n"
            f"  - name: slow\n    type: wildberries\n    token: ${{WB_TOKEN}}\n"
            f"    base_url: {server.url('')}\n    questions: false\n    page_size: 3\n"
            f"    timeout: 2\n"
            f"  - name: fine\n    type: wildberries\n    token: ${{WB_TOKEN}}\n"
            f"    base_url: {httpserver.url_for('')}\n    questions: false\n"
        )
        start = time.monotonic()
        report, _ = run_sources(config, tmp_path / "r.db", "2026-05-20T09:00:00Z")
        took = time.monotonic() - start
    results = {r.source: r for r in report.results}  # type: ignore[attr-defined]
    assert results["fine"].error is None
    error = results["slow"].error
    assert error is not None
    assert "stopped after 2 s (timeout: 2)" in error and "resumes from the cursor" in error
    assert results["slow"].fetched == 3  # the first page was stored and stays
    assert took < 20
