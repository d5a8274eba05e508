"""The one registry of source types.

Built-in types are listed by module path and imported only when used, so that `repcli --help`
stays fast. Third-party types come from the `repcli.sources` entry-point group; a plugin that
fails to load is reported as a warning and does not break the CLI.

A config with sources is loaded here (`load_config`, `parse_config`): the config loader gets
this registry's types passed in, so that config never imports sources.
"""

from __future__ import annotations

import importlib
import logging
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

from repcli.errors import ConfigError

if TYPE_CHECKING:
    from repcli.config import Config

log = logging.getLogger(__name__)

BUILTIN: dict[str, str] = {
    "demo": "repcli.sources.demo:DemoSource",
    "feed": "repcli.sources.feed:FeedSource",
    "file": "repcli.sources.file:FileSource",
    "html": "repcli.sources.html:HtmlSource",
    "jsonld": "repcli.sources.jsonld:JsonLdSource",
    "vk": "repcli.sources.vk:VkSource",
    "telegram": "repcli.sources.telegram:TelegramSource",
    "wildberries": "repcli.sources.wildberries:WildberriesSource",
    "app_store": "repcli.sources.app_store:AppStoreSource",
    "google_play": "repcli.sources.google_play:GooglePlaySource",
    "youtube": "repcli.sources.youtube:YouTubeSource",
    "reddit": "repcli.sources.reddit:RedditSource",
    "ozon": "repcli.sources.ozon:OzonSource",
    "yandex_market": "repcli.sources.yandex_market:YandexMarketSource",
    "ebay": "repcli.sources.ebay:EbaySource",
    "trustpilot": "repcli.sources.trustpilot:TrustpilotSource",
    "facebook": "repcli.sources.facebook:FacebookSource",
    "google_business": "repcli.sources.google_business:GoogleBusinessSource",
    "instagram": "repcli.sources.instagram:InstagramSource",
}

_plugin_cache: dict[str, Any] | None = None


def _plugins() -> dict[str, Any]:
    global _plugin_cache
    if _plugin_cache is None:
        _plugin_cache = {ep.name: ep for ep in entry_points(group="repcli.sources")}
    return _plugin_cache


def known_types() -> list[str]:
    return sorted(set(BUILTIN) | set(_plugins()))


def source_class(type_name: str) -> Any:
    """The Source subclass registered as `type_name`."""
    if type_name in BUILTIN:
        module_name, _, attr = BUILTIN[type_name].partition(":")
        return getattr(importlib.import_module(module_name), attr)
    plugin = _plugins().get(type_name)
    if plugin is None:
        raise ConfigError(
            f"unknown source type {type_name!r}", "known types: " + ", ".join(known_types())
        )
    try:
        return plugin.load()
    except Exception as exc:  # a broken plugin must not break the CLI
        log.warning("source type plugin %r failed to load: %s", type_name, exc)
        raise ConfigError(
            f"source type {type_name!r} (a plugin) failed to load: {exc}",
            "reinstall or remove the plugin that provides it",
        ) from None


def settings_class(type_name: str) -> Any:
    return source_class(type_name).settings_class


class SourceTypes:
    """This registry as the config loader sees it (`repcli.config.SourceTypes`): config
    checks each source's settings against its type's class without importing a source."""

    def known_types(self) -> list[str]:
        return known_types()

    def settings_class(self, type_name: str) -> Any:
        return settings_class(type_name)


TYPES = SourceTypes()


def load_config(explicit: str | Path | None = None) -> Config:
    """`repcli.config.load_config` with this registry's source types: the one the CLI uses."""
    from repcli.config import loader

    return loader.load_config(explicit, TYPES)


def parse_config(text: str, path: Path | None = None) -> Config:
    """`repcli.config.parse_config` with this registry's source types."""
    from repcli.config import loader

    return loader.parse_config(text, path, TYPES)
