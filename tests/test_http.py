"""The HTTP layer against a real server on 127.0.0.1 (pytest-httpserver), with a fake clock."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from repcli import __version__, secrets
from repcli.http import (
    HostLimit,
    HttpError,
    RetryLater,
    raise_for_status,
    retry_after,
)
from repcli.http import (
    Response as HttpResponse,
)
from tests.httpkit import fake_http

FAST = HostLimit(rate=1000, burst=1000, concurrency=4)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_user_agent_and_json(httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        "/x",
        headers={
            "User-Agent": f"repcli/{__version__} (reputation monitoring; +https://pypi.org/project/repcli/)"
        },
    ).respond_with_json({"ok": 1})
    http, _ = fake_http()

    async def go() -> Any:
        try:
            return (await http.request("GET", httpserver.url_for("/x"), limit=FAST)).json()
        finally:
            await http.aclose()

    assert run(go()) == {"ok": 1}


@pytest.mark.parametrize("status", [429, 420, 503])
def test_rate_limit_then_success_honours_retry_after(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_ordered_request("/r").respond_with_data(
        "slow down", status=status, headers={"Retry-After": "7"}
    )
    httpserver.expect_ordered_request("/r").respond_with_json({"ok": True})
    http, clock = fake_http()

    async def go() -> Any:
        try:
            return await http.request("GET", httpserver.url_for("/r"), limit=FAST)
        finally:
            await http.aclose()

    response = run(go())
    assert response.status == 200
    assert 7.0 in clock.slept  # the server's wait was honoured, without sleeping for real
    assert http.waits == [7.0]


def test_wb_style_ratelimit_header(httpserver: HTTPServer) -> None:
    assert retry_after({"x-ratelimit-retry": "2"}) == 2.0
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, now=1445412470.0) == 10.0
    assert retry_after({}) is None
    # An HTTP date is measured against the response's own Date header, not the local clock.
    assert (
        retry_after(
            {
                "x-ratelimit-resource-until": "Sat, 23 May 2026 09:00:05 GMT",
                "date": "Sat, 23 May 2026 09:00:00 GMT",
            }
        )
        == 5.0
    )


def test_5xx_gives_up_after_retry_budget(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/down").respond_with_data("boom", status=502)
    http, _ = fake_http(max_attempts=4)

    async def go() -> None:
        try:
            await http.request("GET", httpserver.url_for("/down"), limit=FAST)
        finally:
            await http.aclose()

    with pytest.raises(HttpError, match=r"HTTP 502, still failing after 4 attempts"):
        run(go())
    assert len(httpserver.log) == 4
    assert len(http.waits) == 3
    assert http.waits[0] < http.waits[1] < http.waits[2]  # exponential backoff


def test_rate_limit_is_respected_per_host(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/p").respond_with_json({})
    http, clock = fake_http()
    limit = HostLimit(rate=5, burst=1, concurrency=1)

    async def go() -> None:
        try:
            await asyncio.gather(
                *(http.request("GET", httpserver.url_for("/p"), limit=limit) for _ in range(11))
            )
        finally:
            await http.aclose()

    start = clock.now
    run(go())
    assert clock.now - start == pytest.approx(2.0)  # 11 requests at 5/s: the first free, 10 * 0.2 s


def test_a_host_stricter_than_its_limit_gets_even_requests_not_bursts(
    httpserver: HTTPServer,
) -> None:
    """The host allows 10 requests/s with bursts of 4; we were told 10/s with bursts of 6 (of
    which repcli uses 5). Its one 429 (wait 1 s) makes repcli send evenly from then on, instead
    of a burst (and a 429) after every pause. The server's bucket runs on the test's fake clock."""
    http, clock = fake_http()
    bucket = {"tokens": 4.0, "at": clock.now}
    statuses: list[int] = []

    def handler(request: Request) -> Response:
        bucket["tokens"] = min(4.0, bucket["tokens"] + (clock.now - bucket["at"]) * 10)
        bucket["at"] = clock.now
        if bucket["tokens"] < 1:
            statuses.append(429)
            return Response("too many", status=429, headers={"X-Ratelimit-Retry": "1"})
        bucket["tokens"] -= 1
        statuses.append(200)
        return Response("{}", content_type="application/json")

    httpserver.expect_request("/feedbacks").respond_with_handler(handler)
    limit = HostLimit(rate=10, burst=6, concurrency=1)

    async def go() -> None:
        try:
            for _ in range(40):
                await http.request("GET", httpserver.url_for("/feedbacks"), limit=limit)
        finally:
            await http.aclose()

    run(go())
    assert statuses.count(429) == 1 and statuses.count(200) == 40
    assert statuses.index(429) == 4  # the fifth request of the first burst
    # 4 at once, the 1 s pause, then 36 at 10/s (the first of them free).
    assert clock.now - 1000.0 == pytest.approx(1.0 + 3.5)


def test_429s_to_one_burst_slow_a_host_down_once(httpserver: HTTPServer) -> None:
    """Two requests in flight, two 429s: one step (no more bursts), not two (and a rate cut).
    A 429 to a request sent after that step is a second step: 10% slower."""
    answers = iter([429, 429, 200, 200, 429, 200])

    def handler(request: Request) -> Response:
        status = next(answers)
        return Response("{}", status=status, headers={"Retry-After": "1"})

    httpserver.expect_request("/q").respond_with_handler(handler)
    http, _ = fake_http()
    limit = HostLimit(rate=10, burst=3, concurrency=2)

    async def go() -> None:
        try:
            url = httpserver.url_for("/q")
            await asyncio.gather(*(http.request("GET", url, limit=limit) for _ in range(2)))
            [bucket] = http._buckets.values()
            assert (bucket.limit.rate, bucket.limit.burst) == (10, 1)
            await http.request("GET", url, limit=limit)
            assert (bucket.limit.rate, bucket.limit.burst) == (9, 1)
        finally:
            await http.aclose()

    run(go())


def test_a_refused_connection_is_not_retried() -> None:
    """Nothing listens: one clear error at once (tests/hostile: what is retried instead)."""
    http, _ = fake_http(max_attempts=2)

    async def go() -> None:
        try:
            await http.request("GET", "http://127.0.0.1:9/nothing", limit=FAST)
        finally:
            await http.aclose()

    with pytest.raises(HttpError, match="connection refused"):
        run(go())
    assert http.waits == []


def test_size_cap(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * 5000)
    http, _ = fake_http()

    async def go() -> None:
        try:
            await http.request("GET", httpserver.url_for("/big"), limit=FAST, max_bytes=1000)
        finally:
            await http.aclose()

    with pytest.raises(HttpError, match="larger than"):
        run(go())


def test_check_can_ask_for_retry(httpserver: HTTPServer) -> None:
    """Platforms that report rate limits inside a 200 (VK error 6) retry through `check`."""
    answers = iter([{"error": {"error_code": 6}}, {"response": {"items": []}}])
    httpserver.expect_request("/vk").respond_with_handler(
        lambda r: Response(json.dumps(next(answers)), content_type="application/json")
    )
    http, _ = fake_http()

    def check(resp: HttpResponse) -> None:
        if "error" in resp.json():
            raise RetryLater("VK error 6: too many requests", wait=1.0)

    async def go() -> Any:
        try:
            return (
                await http.request("GET", httpserver.url_for("/vk"), limit=FAST, check=check)
            ).json()
        finally:
            await http.aclose()

    assert run(go()) == {"response": {"items": []}}
    assert http.waits == [1.0]


def test_errors_never_show_secrets(httpserver: HTTPServer) -> None:
    secrets.register("tok-SECRET-123456")
    httpserver.expect_request("/e").respond_with_data("bad token tok-SECRET-123456", status=401)
    http, _ = fake_http()

    async def go() -> HttpResponse:
        try:
            return await http.request(
                "GET",
                httpserver.url_for("/e"),
                limit=FAST,
                headers={"Authorization": "tok-SECRET-123456"},
            )
        finally:
            await http.aclose()

    response = run(go())
    with pytest.raises(HttpError) as info:
        raise_for_status(response)
    assert "tok-SECRET" not in str(info.value)
    assert "HTTP 401" in str(info.value) and "credentials" in str(info.value)


def test_invalid_json_and_invalid_utf8(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/bad").respond_with_data(
        b"\xff\xfe{not json", content_type="application/json"
    )
    http, _ = fake_http()

    async def go() -> HttpResponse:
        try:
            return await http.request("GET", httpserver.url_for("/bad"), limit=FAST)
        finally:
            await http.aclose()

    response = run(go())
    assert "\ufffd" in response.text
    with pytest.raises(HttpError, match="not valid JSON"):
        response.json()


def test_a_host_is_named_without_its_userinfo() -> None:
    from repcli.http import host_of

    assert host_of("https://alice:hunter2@Shop.Example:8443/api?x=1") == "shop.example:8443"
    assert host_of("http://[::1]:8080/") == "[::1]:8080"
    assert host_of("http://127.0.0.1/") == "127.0.0.1"
