"""The two store engines side by side: `repcli check` on a 100k-item store and `repcli report`
over a year of 1M items, on SQLite and on PostgreSQL.

The stores are generated as SQLite files (storegen.py: realistic review lengths, 15% of items
waiting for an answer, the full-text index filled), and copied into PostgreSQL by `repcli store
migrate` (its time is printed too). `check` reads 500 new reviews from a JSON Lines file
(check_growth.py's) through a `file` source, each run on a fresh copy of the store (a file copy;
on PostgreSQL a database made from the copied one as a template), not timed. `report` reads
the same store every run (it writes nothing).

Measured per run: the wall time of the `repcli` process, its CPU time (user + system, from the
operating system), its peak RSS, and on PostgreSQL the server's CPU time during the run: the
postmaster's own and reaped children's time (the backend that served repcli is one of those once
it exits) plus its live children's, from /proc. Medians of --runs, the engines in turn.

The server is tests/pgserver.py's: $REPCLI_TEST_POSTGRES if set (a local server, for its
/proc figures: the server's CPU shows as n/a otherwise), else a throwaway cluster (fsync off).

Run: python bench/store_engines.py [--check-items 100000] [--report-items 1000000] [--runs 3]
     [--keep DIR]   (keep the generated SQLite stores in DIR and reuse them next time)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import check_growth
import storegen

from tests import pgserver

TREE = Path(__file__).resolve().parent.parent  # the repcli this script measures
NOW = check_growth.NOW
TICK = os.sysconf("SC_CLK_TCK")


class Failed(Exception):
    """A measured command failed: its case shows the reason instead of numbers."""


@dataclass
class Sample:
    wall: float
    cpu: float
    rss_mib: float
    server_cpu: float | None


def env_for(home: Path) -> dict[str, str]:
    return {
        "REPCLI_NOW": "2026-11-23T09:00:00Z", "PATH": os.environ.get("PATH", "/usr/bin"),
        "HOME": str(home), "NO_COLOR": "1", "PYTHONPATH": str(TREE),
    }  # fmt: skip


class Server:
    """The PostgreSQL server and the CPU its processes have used so far."""

    def __init__(self, pg: pgserver.PgServer) -> None:
        self.pg = pg
        self.postmaster = self._postmaster()

    def _postmaster(self) -> int | None:
        import psycopg

        try:
            with psycopg.connect(self.pg.admin_url, autocommit=True) as conn:
                row = conn.execute("SHOW data_directory").fetchone()
            pid_file = Path(str(row[0] if row else "")) / "postmaster.pid"
            return int(pid_file.read_text().split()[0])
        except (OSError, ValueError, psycopg.Error):
            return None  # a server elsewhere, or no rights to see where its files are

    def children(self) -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.postmaster:
                    found.append(int(entry.name))
        return found

    def cpu(self) -> float | None:
        """Seconds of CPU the server has used: the postmaster, its reaped children, and its
        live ones."""
        if self.postmaster is None:
            return None
        total = 0
        for pid in [self.postmaster, *self.children()]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # exited meanwhile: its time is in the postmaster's reaped children
            # utime, stime (fields 14, 15), and for the postmaster cutime, cstime (16, 17).
            total += int(fields[11]) + int(fields[12])
            if pid == self.postmaster:
                total += int(fields[13]) + int(fields[14])
        return total / TICK

    def settle(self, before: int) -> None:
        """Wait until the backends repcli used have exited and been reaped."""
        deadline = time.monotonic() + 10
        while len(self.children()) > before and time.monotonic() < deadline:
            time.sleep(0.05)

    def sql(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.pg.admin_url, autocommit=True) as conn:
            conn.execute(statement)


def run(
    args: list[str], config: Path, home: Path, server: Server | None, ok: tuple[int, ...] = (0,)
) -> Sample:
    """One `repcli` process, measured."""
    before_children = len(server.children()) if server and server.postmaster else 0
    server_before = server.cpu() if server else None
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "repcli", "--config", str(config), *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env_for(home),
    )  # fmt: skip
    assert proc.stderr is not None
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode()
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code not in ok:
        raise Failed(f"repcli {args[0]} exited {code}: {err.strip().splitlines()[-1][-300:]}")
    server_cpu = None
    if server is not None and server_before is not None:
        server.settle(before_children)
        after = server.cpu()
        server_cpu = None if after is None else after - server_before
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, server_cpu)


def check_config(work: Path, store: str, data: Path) -> Path:
    config = work / f"check-{uuid.uuid4().hex[:6]}.yaml"
    config.write_text(
        f"store: {store}\nsources:\n  - name: s0\n    type: file\n"
        f"    path: {data}\n    format: jsonl\n"
        "    columns: {external_id: id, rating: rating, text: text, author: author, "
        "product_id: product, created_at: date}\n",
        encoding="utf-8",
    )
    return config


def report_config(work: Path, store: str) -> Path:
    config = work / f"report-{uuid.uuid4().hex[:6]}.yaml"
    config.write_text(
        f"store: {store}\nsources:\n"
        + "".join(f"  - {{name: s{i}, type: demo}}\n" for i in range(5)),
        encoding="utf-8",
    )
    return config


def median(samples: list[Sample], field: str) -> str:
    values = [getattr(s, field) for s in samples]
    if any(v is None for v in values):
        return "n/a"
    return f"{statistics.median(values):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check-items", type=int, default=100_000)
    parser.add_argument("--report-items", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    pg = pgserver.start()
    server = Server(pg)
    shm = Path("/dev/shm")
    try:
        with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as tmp:
            root = args.keep or Path(tmp)
            root.mkdir(parents=True, exist_ok=True)
            work = Path(tmp) / "work"
            work.mkdir()
            data = root / "new.jsonl"
            if not data.exists():
                check_growth.new_reviews(data)
            check_base = root / f"store-{args.check_items}-365.db"
            report_base = root / f"report-{args.report_items}.db"
            if args.report_items == args.check_items:
                report_base = check_base  # one store (and one copy in PostgreSQL) for both
            for base, n, sources in (
                (check_base, args.check_items, 1),
                (report_base, args.report_items, 5),
            ):
                if not base.exists():
                    print(f"generating {n:,} items (SQLite)…", flush=True)
                    storegen.fill(base, n, 365, NOW, sources=sources)

            # PostgreSQL copies of both, by `repcli store migrate` (timed: a number users ask).
            tag = uuid.uuid4().hex[:6]
            pg_check, pg_report = f"bench_check_{tag}", f"bench_report_{tag}"
            if report_base == check_base:
                pg_report = pg_check
            migrated: dict[str, Sample] = {}
            for name, base in dict(((pg_check, check_base), (pg_report, report_base))).items():
                server.sql(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'")
                print(f"copying {base.name} into PostgreSQL (store migrate)…", flush=True)
                migrated[name] = run(
                    ["store", "migrate", "--to", pg.url(name)],
                    report_config(work, str(base)),
                    work,
                    server,
                )
            import psycopg

            for name in {pg_check, pg_report}:  # as autovacuum would have, in time
                with psycopg.connect(pg.url(name), autocommit=True) as conn:
                    conn.execute("VACUUM ANALYZE")

            results: dict[tuple[str, str], list[Sample]] = {}
            failed: dict[tuple[str, str], str] = {}

            def measure(case: tuple[str, str], *how: object) -> None:
                if case in failed:
                    return
                try:
                    results.setdefault(case, []).append(run(*how))  # type: ignore[arg-type]
                except Failed as exc:
                    failed[case] = str(exc)

            sqlite_work = work / "check.db"
            for _ in range(args.runs):
                # check, SQLite: a fresh copy of the store each run.
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{sqlite_work}{suffix}").unlink(missing_ok=True)
                shutil.copyfile(check_base, sqlite_work)
                config = check_config(work, str(sqlite_work), data)
                measure(("check", "sqlite"), ["check", "--format", "json"], config, work, None,
                        (0, 10))  # fmt: skip
                # check, PostgreSQL: a fresh database made from the migrated one.
                fresh = f"bench_run_{uuid.uuid4().hex[:6]}"
                server.sql(f"CREATE DATABASE {fresh} TEMPLATE {pg_check}")
                config = check_config(work, pg.url(fresh), data)
                measure(("check", "postgresql"), ["check", "--format", "json"], config, work,
                        server, (0, 10))  # fmt: skip
                server.sql(f"DROP DATABASE {fresh}")
                # report over the year: the same store each run.
                for engine, store in (
                    ("sqlite", str(report_base)),
                    ("postgresql", pg.url(pg_report)),
                ):
                    config = report_config(work, store)
                    measure(("report", engine), ["report", "--since", "365d", "--format", "json"],
                            config, work, server if engine == "postgresql" else None)  # fmt: skip
    finally:
        pg.stop()

    print(f"\nmedians of {args.runs} runs; CPU = the repcli process's user + system time")
    print("| command | engine | wall s | repcli CPU s | server CPU s | repcli peak MiB |")
    print("|---|---|---:|---:|---:|---:|")
    labels = {
        "check": f"check (500 new) on {args.check_items:,} items",
        "report": f"report 365 days over {args.report_items:,} items",
    }
    for command, engine in dict.fromkeys([*results, *failed]):
        samples = results.get((command, engine), [])
        if (command, engine) in failed:
            print(f"| {labels[command]} | {engine} | failed: {failed[(command, engine)]} ||||")
            continue
        server_cpu = median(samples, "server_cpu") if engine == "postgresql" else "-"
        print(
            f"| {labels[command]} | {engine} | {median(samples, 'wall')} | "
            f"{median(samples, 'cpu')} | {server_cpu} | {median(samples, 'rss_mib')} |"
        )
    for name, sample in migrated.items():
        items = args.check_items if name == pg_check else args.report_items
        print(
            f"\n`store migrate` of {items:,} items to PostgreSQL: {sample.wall:.1f} s wall, "
            f"repcli CPU {sample.cpu:.1f} s, server CPU "
            + ("n/a" if sample.server_cpu is None else f"{sample.server_cpu:.1f} s")
        )


if __name__ == "__main__":
    main()
