"""Apple App Store customer reviews: the public RSS JSON feed, or the App Store Connect API.

One source type, `app_store`, reads reviews one of two ways, each in its own module:

- without credentials, the public feed per storefront (`app_store_feed.py`: `AppStoreFeed`);
- with `key_id` + `issuer_id` + `private_key`, the App Store Connect API, which also posts the
  developer's responses (`app_store_connect.py`: `AppStoreConnect`).

Here: what both share, the settings and the app id, and `AppStoreSource`, the class the source
registry names, which picks the way at each fetch.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from repcli.errors import ConfigError
from repcli.sources.app_store_connect import AppStoreConnect
from repcli.sources.app_store_feed import AppStoreFeed, _entries, _last_page
from repcli.sources.base import Batch, HttpSettings

__all__ = ["AppStoreSettings", "AppStoreSource", "_entries", "_last_page"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class AppStoreSettings(HttpSettings):
    app_id: str
    """The app's numeric Apple ID (the digits in apps.apple.com/app/id<digits>)."""
    countries: tuple[str, ...] = ("us",)
    """Storefronts of the public feed, as two-letter codes (us, gb, ru, ua...)."""
    key_id: str | None = None
    """App Store Connect API key ID; with issuer_id and private_key, the API is used instead
    of the public feed (all territories, and your published responses)."""
    issuer_id: str | None = None
    """App Store Connect API issuer ID (Users and Access > Integrations)."""
    private_key: str | None = dataclasses.field(
        default=None, metadata={"secret": True, "document": True}
    )
    """The API key's .p8 file path, or its PEM text."""
    api_base_url: str | None = None
    """Override the App Store Connect API address (a proxy, a test server)."""
    answered_lookback_days: int = 7
    """API: re-read reviews this far back, to see responses given in App Store Connect."""
    page_size: int = 200
    """API: reviews per request (`limit`, at most 200)."""


class AppStoreSource(AppStoreConnect, AppStoreFeed):
    """The `app_store` type: the Connect API when its key is configured, else the public feed
    (whose host and rate limit are the `base_url` and `limit` this type has by default)."""

    type_name: ClassVar[str] = "app_store"
    platform: ClassVar[str] = "app_store"
    settings_class: ClassVar[type[Any]] = AppStoreSettings
    description: ClassVar[str] = (
        "Apple App Store reviews: public RSS feed per country, or App Store Connect API (key)"
    )

    async def fetch(self, cursor: dict[str, Any], full: bool = False) -> AsyncIterator[Batch]:
        app_id = str(self.settings.app_id).strip()
        if not app_id.isdigit():
            raise ConfigError(
                f"sources: {self.name}: app_id must be the app's numeric Apple ID, got {app_id!r}",
                "it is the number in the app's link: apps.apple.com/app/id<digits>",
            )
        if self.connect_configured:
            async for batch in self._fetch_connect(app_id, cursor, full):
                yield batch
        else:
            async for batch in self._fetch_rss(app_id, cursor, full):
                yield batch
