"""Exit codes and the error types the CLI turns into one-line messages.

Exit codes are part of the public interface: scripts branch on them, so a code never changes
meaning. The README's exit-code table is generated from `ExitCode` (a test keeps them equal).
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    CONFIG = 3
    STORE = 4
    NOT_FOUND = 5
    SOURCES_FAILED = 6
    BAD_INPUT = 7
    OUTPUT = 8
    FOUND = 10
    INTERRUPTED = 130


EXIT_CODE_MEANING: dict[ExitCode, str] = {
    ExitCode.OK: "Success; nothing matched a --fail-on rule.",
    ExitCode.ERROR: "Unexpected internal error (a bug: run again with --traceback and report it).",
    ExitCode.USAGE: "Bad command line: unknown option, bad value, missing argument.",
    ExitCode.CONFIG: "Configuration error: unreadable or invalid YAML, unknown key, missing ${ENV} variable.",
    ExitCode.STORE: "Store error: database unreadable, locked, corrupt, or written by a newer repcli.",
    ExitCode.NOT_FOUND: "What was asked for does not exist (unknown item ID or source name).",
    ExitCode.SOURCES_FAILED: "Some sources failed; what the others fetched is stored. See `repcli status`.",
    ExitCode.BAD_INPUT: "An input file was refused (the error names file, line and column); nothing from it was stored.",
    ExitCode.OUTPUT: "Output could not be written (closed pipe, disk full); no bookmark moved.",
    ExitCode.FOUND: "A --fail-on rule matched (e.g. new negative items were found).",
    ExitCode.INTERRUPTED: "Interrupted (Ctrl-C); everything stored before the interruption is kept.",
}
"""What each exit code means (the README's table is checked against this)."""


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


class InputRefused(SourceError):
    """A source's input file was refused whole (a bad row: the `file` source's all-or-nothing
    rule). Exit 7 when that is all that failed."""

    exit_code = ExitCode.BAD_INPUT


class InputError(RepcliError):
    """A file given to a command (orders, labelled texts) cannot be read as asked."""

    exit_code = ExitCode.BAD_INPUT


class OutputError(RepcliError):
    """Output could not be written (a closed pipe, a full disk): no bookmark moved."""

    exit_code = ExitCode.OUTPUT


class ReplyRejected(SourceError):
    """The platform refused an answer (a 4xx: bad text, item gone, no permission).

    Retrying the same text will not help; the draft is kept with this message."""
