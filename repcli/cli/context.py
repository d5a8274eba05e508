"""Per-invocation state: global options, consoles, and lazily loaded config and store."""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from repcli.config import Config
    from repcli.store import Store


@dataclasses.dataclass
class State:
    config_path: str | None = None
    quiet: bool = False
    verbose: int = 0
    traceback: bool = False
    _config: Config | None = None
    _store: Store | None = None
    _out: Console | None = None
    _err: Console | None = None
    _now: datetime | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            from repcli.sources.registry import load_config

            self._config = load_config(self.config_path)
        return self._config

    @property
    def store(self) -> Store:
        if self._store is None:
            from repcli.store import open_store

            self._store = open_store(self.config.store)
        return self._store

    @property
    def now(self) -> datetime:
        if self._now is None:
            from repcli.clock import now

            self._now = now()
        return self._now

    @property
    def out(self) -> Console:
        """stdout: data."""
        if self._out is None:
            stream = sys.stdout
            self._out = _console(stream if stream.isatty() else _TrimmedLines(stream))
        return self._out

    @property
    def err(self) -> Console:
        """stderr: progress, warnings, errors."""
        if self._err is None:
            self._err = _console(sys.stderr, soft_wrap=True)  # messages are never re-wrapped
        return self._err

    @property
    def actor(self) -> str:
        """Who acts, for item history: `workflow.user`, $REPCLI_USER, then the login name."""
        import getpass

        name = self.config.workflow.user or os.environ.get("REPCLI_USER")
        if not name:
            try:
                name = getpass.getuser()
            except (KeyError, OSError):
                name = "unknown"
        return name

    def info(self, message: Any) -> None:
        if not self.quiet:
            self.err.print(message)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


class _TrimmedLines:
    """stdout when it is not a terminal (a pipe, a file): rich pads each line of a table or
    panel to the console's width, and the spaces at line ends go. Machine output
    (`output.write`) is written to `raw`, as it is."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self._spaces = ""
        """Spaces at the end of the last write: written only if more of that line follows."""

    def write(self, text: str) -> int:
        import re

        whole = self._spaces + text
        body = whole.rstrip(" ")
        self._spaces = whole[len(body) :]
        self.raw.write(re.sub(r" +\n", "\n", body))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding, flush...
        return getattr(self.raw, name)


def _console(stream: Any, soft_wrap: bool = False) -> Console:
    from rich.console import Console

    width = None
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit():
        width = int(columns)
    elif not stream.isatty():
        width = 120  # a stable width when piped or captured
    return Console(
        file=stream,
        no_color="NO_COLOR" in os.environ,
        width=width,
        height=25 if width else None,  # with both set, rich keeps our width on dumb terminals
        highlight=False,
        soft_wrap=soft_wrap,
    )


def setup_logging(state: State) -> None:
    from repcli.secrets import RedactingFilter

    level = logging.WARNING
    if state.quiet:
        level = logging.ERROR
    elif state.verbose == 1:
        level = logging.INFO
    elif state.verbose >= 2:
        level = logging.DEBUG
    handler = _StderrHandler()
    handler.setFormatter(_CleanFormatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger("repcli")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    # httpx logs whole URLs at INFO, and some platforms put keys in them (VK, YouTube).
    logging.getLogger("httpx").setLevel(logging.WARNING)


class _CleanFormatter(logging.Formatter):
    """Log lines quote platforms: escape sequences and control characters go (line breaks and
    tabs stay), then secrets are masked again (a control character inside one hid it)."""

    def format(self, record: logging.LogRecord) -> str:
        from repcli.render.human import strip_controls
        from repcli.secrets import redact

        return redact(strip_controls(super().format(record)))


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the moment (tests swap it; never a closed stream)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass
