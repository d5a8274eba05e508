"""A throwaway PostgreSQL server for the tests that run the store on PostgreSQL.

`REPCLI_TEST_POSTGRES` (a `postgresql://` URL to a server where the user may CREATE DATABASE)
wins; else a cluster is made with `initdb` in a temporary folder and started with `pg_ctl` on a
free port, its socket in that folder (as an unprivileged user when the tests run as root:
initdb refuses root), and stopped at the end of the session. Each test gets its own database.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit


class Unavailable(Exception):
    """No PostgreSQL for the tests; the message says why (the tests skip with it)."""


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        return candidate
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PgServer:
    """A server the tests may create databases on; `url(name)` is a database's URL."""

    admin_url: str
    folder: Path | None = None
    pg_ctl: str | None = None
    run_as: list[str] | None = None

    def url(self, database: str) -> str:
        parts = urlsplit(self.admin_url)
        return urlunsplit(parts._replace(path="/" + quote(database)))

    def create_database(self) -> str:
        """A new empty database, UTF-8 (lower() folds Cyrillic), sorting as people do
        (ICU's en-US where the server has ICU, unlike SQLite's code point order: the store
        must not depend on it); its URL."""
        import psycopg

        name = "repcli_" + uuid.uuid4().hex[:12]
        create = f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' "
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            try:
                conn.execute(create + "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'")
            except psycopg.Error:  # no ICU (or PostgreSQL before 15)
                conn.execute(create + "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        import psycopg

        name = urlsplit(url).path.lstrip("/")
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.folder is None or self.pg_ctl is None:
            return
        subprocess.run(
            [*(self.run_as or []), self.pg_ctl, "-D", str(self.folder / "data"), "-m", "immediate",
             "stop"],
            capture_output=True,
            check=False,
        )  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)


def start() -> PgServer:
    """The server for this session (see the module's docstring); Unavailable says why not."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise Unavailable("psycopg is not installed (pip install 'repcli[postgres]')") from None
    if url := os.environ.get("REPCLI_TEST_POSTGRES"):
        return PgServer(admin_url=url)
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if not initdb or not pg_ctl:
        raise Unavailable("no PostgreSQL: set REPCLI_TEST_POSTGRES or put initdb/pg_ctl on PATH")
    folder = Path(tempfile.mkdtemp(prefix="repcli-pg-"))
    run_as: list[str] = []
    user = "postgres"
    if os.geteuid() == 0:  # initdb refuses to run as root
        run_as = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]
        os.chmod(folder, 0o755)
        shutil.chown(folder, "nobody", "nogroup")
        user = "nobody"
    data = folder / "data"
    port = _free_port()
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    steps = [
        [initdb, "-D", str(data), "-U", user, "--auth=trust", "--encoding=UTF8",
         "--locale=C.UTF-8", "--no-sync"],
        [pg_ctl, "-D", str(data), "-l", str(folder / "log"), "-w", "-t", "60", "-o",
         f"-p {port} -k {folder} -c listen_addresses='' -c fsync=off "
         "-c max_connections=60 -c shared_buffers=16MB", "start"],
    ]  # fmt: skip
    for step in steps:
        done = subprocess.run([*run_as, *step], capture_output=True, text=True, env=env)
        if done.returncode != 0:
            log = (folder / "log").read_text() if (folder / "log").exists() else ""
            shutil.rmtree(folder, ignore_errors=True)
            raise Unavailable(f"{Path(step[0]).name} failed: {done.stderr or done.stdout}{log}")
    admin = f"postgresql://{user}@/postgres?host={quote(str(folder), safe='')}&port={port}"
    return PgServer(admin_url=admin, folder=folder, pg_ctl=pg_ctl, run_as=run_as)
