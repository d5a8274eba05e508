"""Exit codes and the error types the CLI turns into one-line messages.

Exit codes are part of the public interface: scripts branch on them, so a code never changes
meaning. The README's exit-code table is generated from `ExitCode` (a test keeps them equal).
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    """Success; nothing matched a --fail-on rule."""
    ERROR = 1
    """Unexpected internal error (a bug: run again with --traceback and report it)."""
    USAGE = 2
    """Bad command line: unknown option, bad value, missing argument."""
    CONFIG = 3
    """Configuration error: unreadable or invalid YAML, unknown key, missing ${ENV} variable."""
    STORE = 4
    """Store error: database unreadable, locked, corrupt, or written by a newer repcli."""
    NOT_FOUND = 5
    """What was asked for does not exist (unknown item ID or source name)."""
    SOURCES_FAILED = 6
    """Some sources failed; what the others fetched is stored. See `repcli status`."""
    FOUND = 10
    """A --fail-on rule matched (e.g. new negative items were found)."""
    INTERRUPTED = 130
    """Interrupted (Ctrl-C); everything stored before the interruption is kept."""


class RepcliError(Exception):
    """An error we expect and explain: the CLI prints `message` and exits with `exit_code`."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class ConfigError(RepcliError):
    exit_code = ExitCode.CONFIG


class StoreError(RepcliError):
    exit_code = ExitCode.STORE


class NotFoundError(RepcliError):
    exit_code = ExitCode.NOT_FOUND


class UsageError(RepcliError):
    exit_code = ExitCode.USAGE


class SourceError(RepcliError):
    """A source could not be fetched. Raised inside a source; the pipeline records it per source."""

    exit_code = ExitCode.SOURCES_FAILED
