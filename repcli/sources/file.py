"""Review exports imported from local files (`type: file`): CSV, JSON Lines or JSON.

This is how sellers bring in what a platform lets them download but not fetch (an Amazon
seller's review export, a spreadsheet from a review widget). `columns` maps our fields to the
file's column names (or JSON keys; `a.b` reaches into nested objects). A row that cannot be read
stops the import of that file with a message naming the file, the line and the column, and
nothing from that file is stored; fix the cell and run again. Files whose size, modification
time and content are unchanged since the last run are skipped; rows already stored are matched
by their id (or, without an id column, a hash of author, date, text and product).
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, ClassVar

from repcli.errors import SourceError
from repcli.sources.base import Batch, Source
from repcli.sources.wire import extract
from repcli.sources.wire.file_import import PLATFORM, Importer
from repcli.sources.wire.file_rows import FileSettings

log = logging.getLogger(__name__)

BATCH = 500


def _digest() -> Any:
    return hashlib.blake2b(digest_size=16)


class FileSource(Source):
    type_name: ClassVar[str] = "file"
    platform: ClassVar[str] = PLATFORM
    settings_class: ClassVar[type[Any]] = FileSettings
    description: ClassVar[str] = "review exports from local CSV / JSON Lines / JSON files"

    async def fetch(self, cursor: dict[str, Any], full: bool = False) -> AsyncIterator[Batch]:
        importer = Importer(self.settings, self.name, self.now)
        stored = cursor.get("files")
        known: dict[str, Any] = stored if isinstance(stored, dict) else {}
        files: dict[str, Any] = dict(known)
        failures = extract.Failures(self.name)
        for path in self.paths():
            key = str(path.resolve())
            previous = known.get(key) if isinstance(known.get(key), dict) else None
            with contextlib.ExitStack() as stack:
                try:
                    stat = path.stat()
                    signature = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
                    if (
                        not full
                        and previous
                        and all(previous.get(k) == v for k, v in signature.items())
                    ):
                        log.info("%s: %s unchanged since the last run", self.name, path)
                        continue
                    data = stack.enter_context(path.open("rb"))
                    digest = hashlib.file_digest(data, _digest).hexdigest()
                    if not full and previous and previous.get("digest") == digest:
                        files[key] = {**signature, "digest": digest, "rows": previous.get("rows")}
                        continue
                except OSError as exc:
                    failures.add(SourceError(f"{path}: cannot read: {exc.strerror or exc}"))
                    continue
                # One pass, all or nothing: the file's batches share one transaction, which
                # commits with the last; a bad row (or a kill) undoes the file's rows.
                batch: list[Any] = []
                rows = 0
                try:
                    for item in importer.items(data, str(path)):
                        batch.append(item)
                        rows += 1
                        if len(batch) == BATCH:
                            yield Batch(batch, cursor, hold=True)
                            batch = []
                except (OSError, SourceError) as exc:
                    if rows > len(batch):
                        yield Batch.drop()
                    failures.add(
                        exc
                        if isinstance(exc, SourceError)
                        else SourceError(f"{path}: cannot read: {exc.strerror or exc}")
                    )
                    continue
                files[key] = {**signature, "digest": digest, "rows": rows}
                # The last batch commits the file and the cursor that says it is done.
                yield Batch(batch, {**cursor, "files": dict(files)})
        yield Batch([], {**cursor, "files": files})
        failures.raise_any()

    def paths(self) -> list[Path]:
        pattern = str(Path(self.settings.path).expanduser())
        if any(c in pattern for c in "*?["):
            found = [Path(p) for p in sorted(glob.glob(pattern)) if Path(p).is_file()]
            if not found:
                log.info("%s: nothing matches %s yet", self.name, pattern)
            return found
        path = Path(pattern)
        if path.is_dir():
            raise SourceError(
                f"{path}: is a directory", "give a file, or a pattern such as exports/*.csv"
            )
        if not path.is_file():
            raise SourceError(
                f"{path}: no such file",
                f"check `path` (a relative path is taken from {Path.cwd()})",
            )
        return [path]

    async def test(self) -> str:
        if not self.paths():
            return f"ok: nothing matches {self.settings.path} yet"
        count = 0
        files = 0
        async for batch in self.fetch({}, full=True):
            count += len(batch.items)
            files = len(batch.cursor.get("files") or {})
        return f"ok: {count} rows readable in {files} file(s)"
