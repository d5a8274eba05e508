"""What the Facebook and Instagram source types share: the Graph API settings (token, app
secret, version), the slow default limit of Meta's business use case, the client made on first
use, and the checks of those settings. Each type adds its own account id and depth."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from repcli.errors import ConfigError
from repcli.http import HostLimit
from repcli.sources.base import HttpSource, SocialSettings
from repcli.sources.wire.meta_graph import DEFAULT_VERSION, GRAPH_BASE, Graph


@dataclasses.dataclass(frozen=True, kw_only=True)
class GraphSettings(SocialSettings):
    access_token: str = dataclasses.field(metadata={"secret": True})
    """The access token (a Page token for Facebook; see each type for the permissions)."""
    app_secret: str | None = dataclasses.field(default=None, metadata={"secret": True})
    """The app's secret: sends `appsecret_proof` (required when the app demands it)."""
    api_version: str = DEFAULT_VERSION
    """Graph API version, as in graph.facebook.com/v25.0/."""
    page_size: int = 100
    """Items per request (`limit`, 1-100)."""


class GraphSource(HttpSource):
    """A source on Meta's Graph API. Subclasses name the platform, the account-id setting and
    the depth setting (how many of the newest posts or media are watched)."""

    graph_platform: ClassVar[str]
    """How errors name the platform: "Facebook", "Instagram"."""
    account_setting: ClassVar[str]
    """The setting holding the numeric account id (`page_id`, `ig_user_id`)."""
    account_hint: ClassVar[str]
    """Where to find that id."""
    depth_setting: ClassVar[str]
    env_var: ClassVar[str]
    """The environment variable the example config reads the access token from."""
    default_base_url: ClassVar[str] = GRAPH_BASE
    # Page and Instagram calls fall under Meta's business use case limit (4800 calls a day per
    # engaged user, codes 80001/80002): stay slow, and the usage headers slow us further.
    default_limit: ClassVar[HostLimit] = HostLimit(rate=1.0, burst=2, concurrency=1)

    can_reply = True

    @property
    def graph(self) -> Graph:
        if getattr(self, "_graph", None) is None:
            s: Any = self.settings
            self._graph = Graph(
                self.ctx.http,
                platform=self.graph_platform,
                base_url=self.base_url,
                version=s.api_version,
                token=s.access_token,
                app_secret=s.app_secret,
                limit=self.limit,
                source=self.name,
            )
        return self._graph

    @property
    def account(self) -> str:
        """The numeric account id, as the API's paths take it."""
        return str(getattr(self.settings, self.account_setting)).strip()

    def _validate(self) -> None:
        s: Any = self.settings
        if not s.access_token:
            raise ConfigError(
                f"sources: {self.name}: access_token is empty", f"set ${{{self.env_var}}}"
            )
        if not self.account.isdigit():
            raise ConfigError(
                f"sources: {self.name}: {self.account_setting} must be the numeric id",
                self.account_hint,
            )
        if getattr(s, self.depth_setting) < 1 or not 1 <= s.page_size <= 100:
            raise ConfigError(
                f"sources: {self.name}: {self.depth_setting} >= 1 and page_size 1-100"
            )
