"""The CI's helper scripts leave the command they run as it would run alone: a command run by
.ci/postgres.sh must still get Ctrl-C (SIGINT) as KeyboardInterrupt. Run in the background of a
non-interactive shell, it inherited SIGINT ignored, and the tests that press Ctrl-C hung."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

PROBE = "import signal; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)"


def test_postgres_sh_leaves_ctrl_c_to_the_command() -> None:
    done = subprocess.run(
        ["bash", str(ROOT / ".ci" / "postgres.sh"), sys.executable, "-c", PROBE],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True", done.stderr
