"""The README's Python examples run as a user would paste them into a file: each ```python
block, in a fresh process, next to a copy of the demo config."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def test_readme_python_blocks_run(tmp_path: Path) -> None:
    blocks = BLOCK.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    assert blocks, "the README should show repcli used from a script"
    shutil.copy(ROOT / "config.example.yaml", tmp_path / "config.example.yaml")
    env = {**os.environ, "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    env.pop("REPCLI_CONFIG", None)
    outputs = []
    for number, code in enumerate(blocks):
        script = tmp_path / f"example_{number}.py"
        script.write_text(code, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True,
            text=True, timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"README python block {number}:\n{done.stderr}"
        assert done.stdout.strip(), f"README python block {number} printed nothing"
        outputs.append(done.stdout.splitlines())
    # The first example is the daily check: it found the demo's negatives, and lists them.
    assert re.fullmatch(r"[1-9]\d* new negative; exit code 0", outputs[0][0]), outputs[0]
    assert len(outputs[0]) == 4, outputs[0]
