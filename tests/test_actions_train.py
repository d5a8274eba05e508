"""`repcli.actions.train` called as a script would: no CLI, no config, a plain result."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from repcli.actions import train
from repcli.analysis.trained import TrainedModel
from repcli.errors import InputError, UsageError
from tests.conftest import Cli
from tests.test_train import corpus

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _labelled(tmp_path: Path, n: int = 120) -> Path:
    data = tmp_path / "labelled.jsonl"
    rows = corpus(n)
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return data


def test_train_from_a_file_gives_what_the_cli_prints(tmp_path: Path) -> None:
    data = _labelled(tmp_path)
    started: list[tuple[int, int, str]] = []
    options = train.TrainOptions(from_file=data, output=tmp_path / "a.json", kind="Comment")
    result = train.run(options, NOW, config=None, store=None, started=lambda *a: started.append(a))
    assert started == [(120, 40, str(data))]
    assert result.path == tmp_path / "a.json"
    assert TrainedModel.load(result.path).meta == result.meta
    assert result.meta["trained_on"] == 120 and result.meta["negatives"] == 40
    assert list(result.by_kind) == ["comment"] and result.validated == ["comment"]
    assert result.choice.quality.f1 == result.meta["cv"]["f1"] > 0.9
    printed = Cli(None)(
        "train", "--from-file", str(data), "-o", str(tmp_path / "b.json"), "--kind", "comment",
        "-f", "json", env={"REPCLI_NOW": "2026-11-23T09:00:00Z"},
    )  # fmt: skip
    assert printed.exit_code == 0, printed.output
    expected = {"version": 1, **result.as_dict(), "model": str(tmp_path / "b.json")}
    assert json.loads(printed.stdout) == json.loads(json.dumps(expected))


def test_train_errors_are_ours(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--kind 'essay'"):
        train.TrainOptions(kind="essay")
    few = _labelled(tmp_path, 30)
    with pytest.raises(InputError, match="too few to train on"):
        train.run(train.TrainOptions(from_file=few), NOW, config=None, store=None)
    with pytest.raises(InputError, match="cannot read"):
        train.run(
            train.TrainOptions(from_file=tmp_path / "missing.jsonl"), NOW, config=None, store=None
        )
    with pytest.raises(UsageError, match="pass --output"):
        train.run(train.TrainOptions(from_file=_labelled(tmp_path)), NOW, config=None, store=None)
