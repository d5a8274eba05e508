"""Run the README's console blocks as a user pastes them: every `$ ...` line, in order, in one
bash on a real terminal (a pseudo-terminal 100 columns wide), so `VAR=value cmd` sets VAR for
that command only, `export` sticks, stdout and stderr interleave as they are written, and
commands see a terminal exactly as at a desk."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)
COLUMNS = 100
_MARK = "\x1eREADME-STEP"
_DONE = "\x1eREADME-RC"


def commands(block: str) -> list[tuple[str, list[str]]]:
    """[(command, expected output lines)] of one console block."""
    steps: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps:
            steps[-1][1].append(line)
    return steps


def tidy(text: str) -> str:
    """Output as the README shows it: no trailing spaces, no trailing blank lines."""
    return "\n".join(line.rstrip() for line in text.splitlines()).rstrip("\n")


def environment(home: Path) -> dict[str, str]:
    """A clean environment: the interpreter's bin first on PATH (where `repcli` is), an empty
    home, UTF-8, UTC, no colours and no spinners."""
    bin_dir = str(Path(sys.executable).parent)
    return {
        "PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "TERM": "dumb",
        "NO_COLOR": "1",
        "COLUMNS": str(COLUMNS),
        "TTY_INTERACTIVE": "0",
        "USER": "support",
        "LOGNAME": "support",
    }


def run(steps: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> list[str]:
    """Each step's output (and `[exit N]` when it failed), from one bash on a pseudo-terminal."""
    script = ["set +e"]
    for n, step in enumerate(steps):
        script.append(f"printf '{_MARK} {n}\\n'")
        script.append(step)
        script.append(f"printf '{_DONE} {n} %d\\n' $?")
    (cwd / ".tour.sh").write_text("\n".join(script) + "\n", encoding="utf-8")
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, COLUMNS, 0, 0))
    proc = subprocess.Popen(
        ["bash", "--noprofile", "--norc", str(cwd / ".tour.sh")],
        cwd=cwd, env=env, stdin=slave, stdout=slave, stderr=slave, close_fds=True,
    )  # fmt: skip
    os.close(slave)
    chunks: list[bytes] = []
    try:
        while True:
            ready, _, _ = select.select([master], [], [], timeout)
            if not ready:
                proc.kill()
                raise TimeoutError(f"the README tour did not finish in {timeout} s")
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other end closed
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
        proc.wait()
    text = b"".join(chunks).decode("utf-8", errors="replace").replace("\r\n", "\n")
    outputs = []
    for n in range(len(steps)):
        start = text.index(f"{_MARK} {n}\n") + len(f"{_MARK} {n}\n")
        match = re.compile(rf"{_DONE} {n} (\d+)\n").search(text, start)
        assert match, f"step {n} ({steps[n]}) did not finish"
        output = tidy(text[start : match.start()])
        if int(match.group(1)):
            output += f"\n[exit {match.group(1)}]"
        outputs.append(output)
    return outputs
