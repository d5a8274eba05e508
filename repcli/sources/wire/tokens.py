"""Access tokens connectors make or ask for: a signed JWT (App Store Connect's own token, a
Google service account's assertion) and an OAuth 2.0 token request at a token endpoint
(Google's refresh-token and JWT-bearer grants). Every token is registered as a secret."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from repcli import secrets
from repcli.errors import ConfigError
from repcli.http import HostLimit, HttpError, host_of

if TYPE_CHECKING:
    from repcli.http import Http

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 - an address, not a secret
TOKEN_LIMIT = HostLimit(rate=1.0, burst=2, concurrency=1)


def sign_jwt(
    claims: Mapping[str, Any],
    key: Callable[[], str],
    *,
    algorithm: str,
    headers: Mapping[str, Any],
    needs: str,
    bad_key: str,
    bad_key_hint: str,
) -> str:
    """`claims` signed with the key `key()` reads (read only once PyJWT is there).

    `needs` names who needs PyJWT (`sources: NAME: App Store Connect`); `bad_key` and
    `bad_key_hint` are the ConfigError for a key PyJWT cannot sign with."""
    try:
        import jwt
    except ImportError:
        raise ConfigError(
            f"{needs} needs PyJWT with cryptography", "pip install 'PyJWT[crypto]'"
        ) from None
    try:
        token = jwt.encode(dict(claims), key(), algorithm, headers=dict(headers))
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        raise ConfigError(f"{bad_key} ({type(exc).__name__})", bad_key_hint) from None
    secrets.register(token)
    return token


@dataclasses.dataclass(frozen=True)
class AccessToken:
    value: str
    good_for: float
    """Seconds to reuse it: its `expires_in` (3600 when absent) less two minutes, at least 60."""


async def request_token(
    http: Http,
    uri: str,
    form: Mapping[str, str],
    *,
    refused: str,
    hint: str,
    hints: Mapping[str, str] | None = None,
) -> AccessToken:
    """POST a token request (a form) to `uri`; the access token, or an HttpError
    "`host`: `refused` was refused (HTTP status: error: description)" with `hint`, or the hint
    `hints` gives for the body's `error` code."""
    response = await http.request("POST", uri, form=form, limit=TOKEN_LIMIT, idempotent=True)
    body = response.json_object() or {}
    token = body.get("access_token")
    if response.status >= 400 or not isinstance(token, str) or not token:
        words = ": ".join(str(body[k]) for k in ("error", "error_description") if body.get(k))
        raise HttpError(
            f"{host_of(uri)}: {refused} was refused "
            f"(HTTP {response.status}{': ' + words if words else ''})",
            status=response.status,
            hint=(hints or {}).get(str(body.get("error")), hint),
        )
    secrets.register(token)
    lifetime = body.get("expires_in")
    lifetime = float(lifetime) if isinstance(lifetime, int | float) else 3600.0
    return AccessToken(token, max(lifetime - 120, 60))
