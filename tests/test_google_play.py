"""Google Play connector against a real HTTP server on 127.0.0.1 serving real-format payloads.

Formats confirmed from:
- the web endpoint: JoMingyu/google-play-scraper (read, not copied) at 1.2.7:
  `constants/request.py` (`Formats.Reviews`: the batchexecute URL with hl/gl and the urlencoded
  `f.req` bodies, `oCPfdb` since 2023-10 with `[count, null, token]` paging, `UsvDTd` before),
  `features/reviews.py` (`)]}'` + blank line, `json.loads(match[0][2])`, reviews at [0], the
  token at [-2][-1] == [1][1]), `constants/element.py` (`ElementSpecs.Review`: [0] id, [1][0]
  name, [1][1][3][2] avatar, [2] score, [4] text, [5][0] seconds, [6] thumbs up, [7][1] reply,
  [7][2][0] reply time, [10] version), `utils/request.py` (`PlayGatewayError` inside a 200 means
  back off); facundoolano/google-play-scraper `lib/reviews.js` (token at [1][1], [5] = [secs,
  nanos], null payload = no reviews); pndurette/pybatchexecute `docs/response-formats.md`
  (envelopes, `di` and `af.httprm` rows);
- the Android Publisher API: developers.google.com/android-publisher/api-ref/rest/v3/reviews/list
  and googleapis/google-api-python-client `docs/dyn/androidpublisher_v3.reviews.html`
  (`tokenPagination.nextPageToken`, `pageInfo`, `userComment`/`developerComment`,
  `lastModified {seconds (string), nanos}`, title and body joined by a tab, `originalText`),
  support.google.com "Reply to Reviews API" quota (200 GET an hour), and
  googleapis/google-auth-library-python `google/oauth2/_client.py` (JWT bearer grant posted
  urlencoded: `grant_type`, `assertion`; errors `{error, error_description}`).
Unconfirmed: the exact envelope of a PlayGatewayError (only the class name in the body is
documented by the scraper), the third element of an oCPfdb payload, and the last page's shape.
Fixture texts, ids and tokens are invented.
"""

from __future__ import annotations

import contextlib
import functools
import json
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from repcli.clock import from_iso
from repcli.errors import RepcliError
from repcli.sources.google_play import parse_batch
from repcli.store import ItemFilter
from tests.httpkit import fake_http, run_sources

FIXTURES = Path(__file__).parent / "fixtures" / "google_play"
APP = "ru.uyutnydom.shop"
NOW = "2026-05-20T15:00:00Z"
BATCH = "/_/PlayStoreUi/data/batchexecute"
REVIEWS = f"/androidpublisher/v3/applications/{APP}/reviews"
TOKEN1 = "CsYBCoIBKmxqagKCQFLN6QxNjY2MTg0OTcwNjAwMBABGAIqTAoQY29tLnV5dXRueWRvbS5zaG9wEAcYAiAAKDIwAUIWCgwI4sWvsQYQgOSVzgEQ-NnK6gJgAA"
EMAIL = "repcli-reviews@uyutny-dom-play.iam.gserviceaccount.com"
ACCESS = "ya29.c.c0ASRK0GZq3vT8-test-access-token-Lm9Pq2Rs4Tu6Vw8Xy0Za"


def fixture(name: str) -> Any:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return text if name.endswith(".txt") else json.loads(text)


def config(httpserver: HTTPServer, tmp_path: Path, *extra: str, demo: bool = False) -> str:
    lines = [
        f"store: {tmp_path / 'x.db'}",
        "sources:",
        "  - name: play",
        "    type: google_play",
        f"    app_id: {APP}",
        "    lang: ru",
        "    country: ru",
        f"    base_url: {httpserver.url_for('')}",
        f"    api_base_url: {httpserver.url_for('')}",
        *(f"    {line}" for line in extra),
    ]
    if demo:
        lines += ["  - name: demo", "    type: demo"]
    return "\n".join(lines) + "\n"


def decode_freq(request: Request) -> tuple[str, list[Any]]:
    """The rpc id and its arguments from the urlencoded `f.req` field."""
    ((envelope,),) = json.loads(request.form["f.req"])
    rpc, args, none, generic = envelope
    assert (none, generic) == (None, "generic")
    return rpc, json.loads(args)


def serve_web(httpserver: HTTPServer, pages: dict[str | None, str], seen: list[Any]) -> None:
    """Answer like play.google.com: by the continuation token inside `f.req`."""

    def handler(request: Request) -> Response:
        rpc, args = decode_freq(request)
        paging = args[1][2] if rpc == "oCPfdb" else args[2][2]
        token = paging[2] if len(paging) > 2 else None
        seen.append((request, rpc, args))
        body = fixture(pages.get(token, "web_empty.txt"))
        return Response(body, content_type="application/json; charset=utf-8")

    httpserver.expect_request(BATCH, method="POST").respond_with_handler(handler)


WEB = {None: "web_page1.txt", TOKEN1: "web_page2.txt"}


def test_web_pages_by_continuation_token(httpserver: HTTPServer, tmp_path: Path) -> None:
    seen: list[Any] = []
    serve_web(httpserver, WEB, seen)
    report, store = run_sources(
        config(httpserver, tmp_path), tmp_path / "x.db", NOW, fake_http()[0]
    )
    assert not report.failed, report.results  # type: ignore[attr-defined]
    assert len(seen) == 2  # page 2 has no token: the end
    first, rpc, args = seen[0]
    assert rpc == "oCPfdb" and dict(first.args) == {"hl": "ru", "gl": "ru"}
    assert first.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert args[2] == [APP, 7] and args[1][:2] == [2, 2]  # newest first
    assert args[1][2] == [100] and seen[1][2][1][2] == [100, None, TOKEN1]
    items = {i["external_id"]: i for i in store.list_items(ItemFilter())}  # type: ignore[attr-defined]
    assert len(items) == 5
    late = items["3f6c2a8e-7d41-4b9a-9e15-0c2d8b7a6f31"]
    assert (late["author"], late["rating"]) == ("Ирина Соколова", 1)
    assert late["created_at"] == "2026-05-20T13:00:00.512000Z"  # [secs, nanos]
    assert (
        late["url"]
        == f"https://play.google.com/store/apps/details?id={APP}&reviewId={late['external_id']}"
    )
    assert late["negative"] and late["needs_reply"]
    card = items["c4e9b7f2-0a13-4d6c-8f2e-5b1a9c7d3e08"]  # [7] reply, [10] version null
    assert card["answer_text"].startswith("Олено, дякуємо") and card["status"] == "answered"
    assert card["answered_at"] == "2026-05-19T19:00:00.000000Z"
    assert items["e2f0a6c8-9b14-47d3-b5e1-6a8c0d4f2b97"]["text"] == ""  # stars only, text null
    raw = json.loads(
        store.conn.execute(
            "SELECT raw FROM items WHERE external_id = ?", [late["external_id"]]
        ).fetchone()[0]
    )  # type: ignore[attr-defined]
    assert raw["review"][10] == "3.8.2" and raw["review"][6] == 0
    assert store.cursor_for("play") == {"web_since": 1779282000}  # type: ignore[attr-defined]


def test_web_second_run_stops_past_the_lookback(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_web(httpserver, WEB, [])
    text = config(httpserver, tmp_path)
    run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    httpserver.clear()
    seen: list[Any] = []
    serve_web(httpserver, {None: "web_since.txt"}, seen)
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    assert not report.failed  # type: ignore[attr-defined]
    assert len(seen) == 1  # the page reaches a review older than cursor - 7 days: no page 2
    (result,) = report.results  # type: ignore[attr-defined]
    assert (result.fetched, result.new) == (3, 1)
    assert store.cursor_for("play") == {"web_since": 1779285600}  # type: ignore[attr-defined]


def test_web_first_run_is_capped_by_max_pages(httpserver: HTTPServer, tmp_path: Path) -> None:
    seen: list[Any] = []
    serve_web(httpserver, WEB, seen)
    text = config(httpserver, tmp_path, "max_pages: 1", "page_size: 3")
    report, _ = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    assert len(seen) == 1 and report.results[0].fetched == 3  # type: ignore[attr-defined]
    assert seen[0][2][1][2] == [3]


def test_web_legacy_rpc(httpserver: HTTPServer, tmp_path: Path) -> None:
    seen: list[Any] = []
    serve_web(httpserver, {None: "web_legacy_usvdtd.txt", TOKEN1: "web_legacy_last.txt"}, seen)
    text = config(httpserver, tmp_path, "rpc_id: UsvDTd")
    report, _ = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    assert not report.failed and report.results[0].fetched == 3  # type: ignore[attr-defined]
    (_, rpc, first), (_, _, second) = seen
    assert rpc == "UsvDTd" and first[:2] == [None, None] and first[3] == [APP, 7]
    assert first[2][2] == [100, None, None] and second[2][2] == [100, None, TOKEN1]


def test_web_gateway_error_then_success(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_ordered_request(BATCH, method="POST").respond_with_data(
        fixture("web_gateway_error.txt"), content_type="application/json; charset=utf-8"
    )
    serve_web(httpserver, {None: "web_page2.txt"}, [])
    http, clock = fake_http()
    report, _ = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert not report.failed and report.results[0].fetched == 2  # type: ignore[attr-defined]
    assert http.waits == [5.0] and 5.0 in clock.slept


def test_web_429_honours_retry_after(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_ordered_request(BATCH, method="POST").respond_with_data(
        "<html><title>Error 429 (Too Many Requests)!!1</title></html>",
        status=429,
        headers={"Retry-After": "12"},
    )
    serve_web(httpserver, {None: "web_page2.txt"}, [])
    http, _ = fake_http()
    report, _ = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert not report.failed and http.waits == [12.0]  # type: ignore[attr-defined]


def test_web_5xx_gives_up_and_keeps_what_was_stored(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_ordered_request(BATCH, method="POST").respond_with_data(
        fixture("web_page1.txt")
    )
    httpserver.expect_request(BATCH, method="POST").respond_with_data("Bad Gateway", status=502)
    http, _ = fake_http(max_attempts=3)
    report, store = run_sources(config(httpserver, tmp_path), tmp_path / "x.db", NOW, http)
    assert "HTTP 502, still failing after 3 attempts" in report.failed[0].error  # type: ignore[attr-defined]
    assert len(http.waits) == 2
    assert len(store.list_items(ItemFilter())) == 3  # type: ignore[attr-defined]
    assert store.cursor_for("play") == {}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<!doctype html><html><body>Sorry...</body></html>", "not a batchexecute answer"),
        (')]}\'\n\n[["wrb.fr","oCPfdb",', "not valid JSON"),
        (
            ')]}\'\n\n[["wrb.fr","oCPfdb","[[[\\"x",null,null,null,"generic"]]',
            "payload is not valid JSON",
        ),
        (')]}\'\n\n[["di",5],["af.httprm",4,"1",2]]', "no oCPfdb envelope"),
        (')]}\'\n\n[["wrb.fr","oCPfdb",null,null,null,[3],"generic"]]', "refused the oCPfdb call"),
        # A review without an id is a reject, not a failure: tests/test_genuine_responses.py
    ],
)
def test_web_malformed_answers_fail_this_source_only(
    httpserver: HTTPServer, tmp_path: Path, body: str, expected: str
) -> None:
    httpserver.expect_request(BATCH, method="POST").respond_with_data(body)
    text = config(httpserver, tmp_path, demo=True)
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    (failed,) = report.failed  # type: ignore[attr-defined]
    assert failed.source == "play" and expected in failed.error, failed.error
    assert store.list_items(ItemFilter(sources=["demo"]))  # type: ignore[attr-defined]


def test_parse_batch_edge_cases() -> None:
    assert parse_batch(fixture("web_empty.txt"), "oCPfdb") == ([], None)  # null payload
    assert parse_batch(')]}\'\n\n[["wrb.fr","oCPfdb","null"]]', "oCPfdb") == ([], None)
    assert parse_batch(')]}\'\n\n[["wrb.fr","oCPfdb","[[]]"]]', "oCPfdb") == ([], None)
    rows, token = parse_batch(fixture("web_page1.txt"), "oCPfdb")
    assert len(rows) == 3 and token == TOKEN1
    assert parse_batch(fixture("web_page2.txt"), "oCPfdb")[1] is None


# ------------------------------------------------------------ Android Publisher API


@pytest.fixture
def account(httpserver: HTTPServer, tmp_path: Path) -> tuple[Path, Any]:
    """A service account JSON key like Google Cloud's, with a fresh RSA key and the test
    server as its token_uri."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    data = {
        "type": "service_account",
        "project_id": "uyutny-dom-play",
        "private_key_id": "3f1c2b7a9d8e4f60a1b2c3d4e5f60718293a4b5c",
        "private_key": pem,
        "client_email": EMAIL,
        "client_id": "104857392018273645091",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": httpserver.url_for("/token"),
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/repcli-reviews%40uyutny-dom-play.iam.gserviceaccount.com",
        "universe_domain": "googleapis.com",
    }
    path = tmp_path / "play-key.json"
    path.write_text(json.dumps(data, indent=2))
    return path, key.public_key()


def serve_token(httpserver: HTTPServer, public_key: Any, grants: list[Any]) -> None:
    """Check the JWT bearer grant like Google's token endpoint would."""

    def handler(request: Request) -> Response:
        try:
            assert request.content_type == "application/x-www-form-urlencoded"
            assert request.form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
            assertion = request.form["assertion"]
            header = jwt.get_unverified_header(assertion)
            claims = jwt.decode(
                assertion,
                public_key,
                algorithms=["RS256"],
                audience=httpserver.url_for("/token"),
                issuer=EMAIL,
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
        except (AssertionError, KeyError, jwt.PyJWTError):
            return Response(json.dumps(fixture("api_token_error.json")), status=400)
        grants.append((header, claims))
        return Response(json.dumps(fixture("api_token.json")), content_type="application/json")

    httpserver.expect_request("/token", method="POST").respond_with_handler(handler)


def serve_reviews(httpserver: HTTPServer, pages: dict[str | None, str], seen: list[Any]) -> None:
    def handler(request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {ACCESS}":
            return Response(
                json.dumps({"error": {"code": 401, "status": "UNAUTHENTICATED"}}), status=401
            )
        seen.append(dict(request.args))
        body = fixture(pages[request.args.get("token")])
        return Response(json.dumps(body, ensure_ascii=False), content_type="application/json")

    httpserver.expect_request(REVIEWS, method="GET").respond_with_handler(handler)


API = {None: "api_reviews_page1.json", "CgkI7rT8sgYQoJYw": "api_reviews_page2.json"}


def test_api_service_account_grant_and_token_paging(
    httpserver: HTTPServer, tmp_path: Path, account: tuple[Path, Any]
) -> None:
    path, public_key = account
    grants: list[Any] = []
    seen: list[Any] = []
    serve_token(httpserver, public_key, grants)
    serve_reviews(httpserver, API, seen)
    text = config(httpserver, tmp_path, f"service_account: {path}", "translation_language: en")
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    assert not report.failed, report.results  # type: ignore[attr-defined]
    ((header, claims),) = grants  # one token for the whole run
    assert header == {
        "alg": "RS256",
        "typ": "JWT",
        "kid": "3f1c2b7a9d8e4f60a1b2c3d4e5f60718293a4b5c",
    }
    now = int(from_iso(NOW).timestamp())  # type: ignore[union-attr]
    assert claims["scope"] == "https://www.googleapis.com/auth/androidpublisher"
    assert claims["iat"] == now and claims["exp"] - claims["iat"] == 3600
    assert seen == [
        {"maxResults": "100", "translationLanguage": "en"},
        {"maxResults": "100", "translationLanguage": "en", "token": "CgkI7rT8sgYQoJYw"},
    ]
    items = {i["author"]: i for i in store.list_items(ItemFilter())}  # type: ignore[attr-defined]
    assert len(items) == 3
    late = items["Ирина Соколова"]  # "\t" and no title
    assert late["title"] is None and late["text"].startswith("Курьер опоздал")
    assert late["created_at"] == "2026-05-20T13:00:00.512000Z" and late["rating"] == 1
    mark = items["Mark Ellison"]
    assert (mark["title"], mark["rating"]) == ("Great service", 5)
    assert mark["answer_text"] == "Thank you, Mark! Glad the refund was quick."
    assert mark["answered_at"] == "2026-05-19T19:00:00.250000Z" and mark["status"] == "answered"
    translated = json.loads(
        store.conn.execute("SELECT raw FROM items WHERE author = 'Олена Шевчук'").fetchone()[0]
    )  # type: ignore[attr-defined]
    assert translated["comments"][0]["userComment"]["originalText"].startswith("\tОплата")
    raw = store.conn.execute("SELECT group_concat(raw) FROM items").fetchone()[0]  # type: ignore[attr-defined]
    assert ACCESS not in raw and "PRIVATE KEY" not in raw
    assert store.cursor_for("play") == {"api_since": 1779282000.512}  # type: ignore[attr-defined]


def test_api_second_run_keeps_only_what_changed(
    httpserver: HTTPServer, tmp_path: Path, account: tuple[Path, Any]
) -> None:
    path, public_key = account
    serve_token(httpserver, public_key, [])
    serve_reviews(httpserver, API, [])
    text = config(httpserver, tmp_path, f"service_account: {path}")
    run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    httpserver.clear()
    serve_token(httpserver, public_key, [])
    serve_reviews(httpserver, {None: "api_reviews_since.json"}, [])
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    assert not report.failed  # type: ignore[attr-defined]
    # A new review, and our reply to Mark edited half an hour ago; the rest is older news.
    (result,) = report.results  # type: ignore[attr-defined]
    assert (result.fetched, result.new) == (2, 1)
    assert store.cursor_for("play") == {"api_since": 1779287400.0}  # type: ignore[attr-defined]


def test_api_key_as_json_text_and_refused_grant(
    httpserver: HTTPServer,
    tmp_path: Path,
    account: tuple[Path, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, _ = account
    monkeypatch.setenv("PLAY_KEY", path.read_text())
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    serve_token(httpserver, other, [])  # the server trusts another key: invalid_grant
    text = config(httpserver, tmp_path, "service_account: ${PLAY_KEY}", demo=True)
    report, store = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    (failed,) = report.failed  # type: ignore[attr-defined]
    assert (
        "token request was refused (HTTP 400: invalid_grant: Invalid JWT Signature.)"
        in failed.error
    )
    assertion = httpserver.log[0][0].form["assertion"]
    assert assertion not in failed.error and "PRIVATE KEY" not in failed.error
    assert store.list_items(ItemFilter(sources=["demo"]))  # type: ignore[attr-defined]


def test_api_errors_name_googles_words(
    httpserver: HTTPServer, tmp_path: Path, account: tuple[Path, Any]
) -> None:
    path, public_key = account
    serve_token(httpserver, public_key, [])
    httpserver.expect_request(REVIEWS).respond_with_json(fixture("api_error_403.json"), status=403)
    text = config(httpserver, tmp_path, f"service_account: {path}")
    report, _ = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
    error = report.failed[0].error  # type: ignore[attr-defined]
    assert "HTTP 403: PERMISSION_DENIED: The current user has insufficient permissions" in error
    assert ACCESS not in error


def test_api_quota_then_success(
    httpserver: HTTPServer, tmp_path: Path, account: tuple[Path, Any]
) -> None:
    path, public_key = account
    serve_token(httpserver, public_key, [])
    httpserver.expect_oneshot_request(REVIEWS).respond_with_json(
        fixture("api_error_429.json"), status=429, headers={"Retry-After": "60"}
    )
    serve_reviews(httpserver, {None: "api_reviews_page2.json"}, [])
    http, clock = fake_http()
    text = config(httpserver, tmp_path, f"service_account: {path}")
    report, _ = run_sources(text, tmp_path / "x.db", NOW, http)
    assert not report.failed and report.results[0].fetched == 1  # type: ignore[attr-defined]
    assert http.waits == [60.0] and 60.0 in clock.slept


def test_api_bad_keys_are_config_errors(httpserver: HTTPServer, tmp_path: Path) -> None:
    cases = {
        str(tmp_path / "missing.json"): "cannot read the service_account file",
        '\'{"type": "authorized_user", "client_id": "x"}\'': "not a service account key",
        '\'{"type": "service_account", "client_email": "a@b", "private_key": "nope"}\'': "not a usable RSA key",
        "'{not json'": "not valid JSON",
    }
    for value, expected in cases.items():
        text = config(httpserver, tmp_path, f"service_account: {value}")
        report, _ = run_sources(text, tmp_path / "x.db", NOW, fake_http()[0])
        assert expected in report.failed[0].error, (value, report.failed[0].error)  # type: ignore[attr-defined]
    assert not httpserver.log


@functools.cache
def offline_source() -> Any:
    """A GooglePlaySource with no server behind it, for feeding its parsers directly."""
    from repcli.sources.base import FetchContext
    from repcli.sources.google_play import GooglePlaySource
    from repcli.sources.registry import parse_config

    config = parse_config(f"sources:\n  - name: play\n    type: google_play\n    app_id: {APP}\n")
    return GooglePlaySource(config.sources[0], FetchContext(from_iso(NOW)))  # type: ignore[arg-type]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(payload=JSON, envelope_tail=st.lists(JSON, max_size=4))
def test_any_batchexecute_answer_raises_only_our_errors(
    payload: Any, envelope_tail: list[Any]
) -> None:
    """Whatever Google sends, parsing either works or says what is wrong (never KeyError...)."""
    source = offline_source()
    inner = json.dumps(payload)
    text = ")]}'\n\n" + json.dumps([["wrb.fr", "oCPfdb", inner, *envelope_tail], ["di", 1]])
    with contextlib.suppress(RepcliError):
        rows, _ = parse_batch(text, "oCPfdb")
        for row in rows:
            with contextlib.suppress(RepcliError):
                source._web_item(row)


def test_api_reply_posts_reply_text_with_the_bearer_token(
    httpserver: HTTPServer, tmp_path: Path, account: tuple[Path, Any]
) -> None:
    """reviews.reply (developers.google.com/android-publisher/api-ref/rest/v3/reviews/reply):
    POST .../reviews/{reviewId}:reply `{"replyText"}` -> `{"result": {"replyText", "lastEdited"}}`;
    errors `{"error": {"code", "message", "status"}}`."""
    from repcli.errors import ReplyRejected
    from tests.test_post_replies import post

    path, public_key = account
    serve_token(httpserver, public_key, [])
    seen: list[Any] = []

    def handler(request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {ACCESS}":
            return Response(status=401)
        seen.append(request.get_json())
        text = request.get_json()["replyText"]
        if len(text) > 350:
            error = {"code": 400, "message": "Reply text too long", "status": "INVALID_ARGUMENT"}
            return Response(json.dumps({"error": error}), 400, content_type="application/json")
        result = {"replyText": text, "lastEdited": {"seconds": "1795424400", "nanos": 0}}
        return Response(json.dumps({"result": result}), content_type="application/json")

    review = "gp:AOqpTOFq7sK2mNw9xYzB3vC8dE4fG5hI6jK7lM8nO9pQ0rS1tU2vW3xY4zA"
    httpserver.expect_request(f"{REVIEWS}/{review}:reply", method="POST").respond_with_handler(
        handler
    )
    text = config(httpserver, tmp_path, f"service_account: {path}")
    from repcli.sources.base import ReplyTarget

    post(text, ReplyTarget(review, "review"), "Ирина, простите за задержку!")
    assert seen == [{"replyText": "Ирина, простите за задержку!"}]
    with pytest.raises(ReplyRejected) as info:
        post(text, ReplyTarget(review, "review"), "x" * 351)
    assert "INVALID_ARGUMENT: Reply text too long" in info.value.message
    # The web mode has no answer API: a clear refusal, not a request.
    web = config(httpserver, tmp_path)
    from repcli.errors import UsageError

    with pytest.raises(UsageError, match="cannot post answers"):
        post(web, ReplyTarget(review, "review"), "Спасибо!")
