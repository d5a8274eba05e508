"""Kind-aware analysis: a question is not a complaint unless it complains, and a trained model
reads only the kinds of item it was validated on (issue 19)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

import pytest

from repcli.analysis import Analyzer, questions, trained
from repcli.analysis.negativity import LexiconModel
from repcli.models import Item
from tests.conftest import Cli
from tests.test_train import corpus

# Pre-sale questions in the demo: `train` -> `reanalyze` made every one of them negative.
PRE_SALE = [
    "Какой размер брать при росте 170 и весе 65? Обычно ношу M.",
    "Подскажите, наволочки на молнии или с клапаном?",
    "Состав 100% хлопок или есть синтетика?",
    "Яка щільність сатину? Скільки ниток на дюйм?",
    "Есть ли шумоподавление?",
    "А на Озоне у вас тоже есть магазин?",
    "Подскажите состав полотенец?",
    "А є дитячі піжами?",
    "Do you ship to Kazakhstan?",
    "Сколько стоит доставка при заказе через сайт?",
    "Чи можна оплатити частинами?",
    "What's the warranty on the blender?",
    "Будет ли евроразмер? Нужен на кровать 180×200.",
    "Напишите, пожалуйста, размерную сетку халатов.",
]
# Unrated complaints the built-in lexicon finds in the demo: they stay negative after training.
COMPLAINTS = [
    "Курьер опоздал на два дня и даже не извинился.",
    "Заказал плед, пришёл с дыркой. Пишу в поддержку третий день — тишина 😡",
    "Жахлива якість! Худі розійшлося по шву після першого прання.",
    "Приложение опять вылетает при оплате. Когда уже почините?",
    "Подделка какая-то, а не шерсть. Носки колются и пахнут синтетикой.",
    "Не рекомендую. Заказ отменили без объяснений, а деньги вернули только через неделю.",
    "App keeps crashing on the payment screen. Android 13. Super frustrating.",
    "Полотенца полиняли с первой стирки и испортили всю белую одежду.",
    "Якість жахлива, нитки стирчать звідусіль. Не рекомендую.",
    "Login with Google doesn't work since yesterday.",
]


def item(text: str, kind: str = "comment", rating: int | None = None) -> Item:
    return Item(
        source="s", platform="vk", kind=kind, external_id="1",  # type: ignore[arg-type]
        created_at=datetime(2026, 1, 1, tzinfo=UTC), text=text, rating=rating,
    )  # fmt: skip


def rows(store: object) -> dict[str, tuple[str, bool, list[str]]]:
    with sqlite3.connect(str(store)) as conn:
        found = conn.execute("SELECT text, kind, negative, reasons, rating FROM items")
        return {t: (k, bool(n), json.loads(r or "[]")) for t, k, n, r, _ in found}


def test_the_demo_after_train_and_reanalyze_keeps_questions_and_complaints_apart(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README tour: check, check three days later, train, reanalyze."""
    from repcli.sources.registry import load_config

    cli("check", "-q", "--format", "json")
    monkeypatch.setenv("REPCLI_NOW", "2026-11-26T09:00:00Z")
    cli("check", "-q", "--format", "json")
    store = load_config(cli.config).store
    lexicon = LexiconModel()
    before = rows(store)
    found_by_lexicon = {
        text
        for text, (kind, negative, _) in before.items()
        if kind != "review" and negative and lexicon.score(text, None).score >= 0.5
    }
    assert set(COMPLAINTS) <= found_by_lexicon
    assert cli("train", "--format", "json").exit_code == 0
    assert cli("reanalyze", "--format", "json").exit_code == 0
    after = rows(store)
    assert set(PRE_SALE) <= set(after)
    assert [t for t in PRE_SALE if after[t][1]] == []
    assert [t for t in sorted(found_by_lexicon) if not after[t][1]] == []
    empty = [(t, r) for t, (_, _, reasons) in after.items() for r in reasons if r.endswith(": ")]
    assert empty == []


def test_a_question_complains_only_when_it_complains() -> None:
    analyzer = Analyzer()
    for text in ("Когда уже вернёте деньги?!", "Где мой заказ? Оплатил 12 дней назад.",
                 "Why does the app keep crashing?", "Скільки можна чекати на повернення?"):  # fmt: skip
        verdict = analyzer.analyse(item(text, "question"))
        assert verdict.negative and verdict.reasons[0].startswith("text: "), text
    for text in ("Не линяют ли полотенца после стирки?", "А если придёт брак, вернёте деньги?",
                 "Does it leak?", "Do you ship to Kazakhstan?"):  # fmt: skip
        assert not analyzer.analyse(item(text, "question")).negative, text


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("Do you ship to Kazakhstan?", True),
        ("Подскажите состав полотенец", True),
        ("Напишите, пожалуйста, размерную сетку халатов.", True),
        ("Is there a warranty", True),
        ("Курьер опоздал на два дня и даже не извинился.", False),
        ("Отличный плед, спасибо", False),
    ],
)
def test_questions_are_told_by_their_text_too(text: str, asks: bool) -> None:
    assert questions.is_question(text, "comment") is asks
    assert questions.is_question(text, "question")


def blend_that_flags_everything(kinds: tuple[str, ...] | None) -> trained.BlendedModel:
    model = trained.fit(
        [str(r["text"]) for r in corpus()], [r["label"] == "negative" for r in corpus()]
    )
    model.bias = 50.0  # every text looks like a complaint to this model
    return trained.BlendedModel(model, LexiconModel(), weight=1.0, threshold=0.5, kinds=kinds)


def test_a_trained_model_reads_only_the_kinds_it_was_validated_on() -> None:
    analyzer = Analyzer(model=blend_that_flags_everything(("review",)))
    assert analyzer.analyse(item("Перезвоните мне", "review")).negative
    assert not analyzer.analyse(item("Перезвоните мне", "comment")).negative
    assert not analyzer.analyse(item("Do you ship to Kazakhstan?", "question")).negative
    everywhere = Analyzer(model=blend_that_flags_everything(None))
    assert everywhere.analyse(item("Перезвоните мне", "comment")).negative
    # A question is read by the question rules even by a model validated on comments.
    assert not everywhere.analyse(item("Do you ship to Kazakhstan?", "comment")).negative


def test_a_reason_is_never_empty() -> None:
    """A model that flags a text without a word of its own to show says it was the model."""
    analyzer = Analyzer(model=blend_that_flags_everything(None))
    verdict = analyzer.analyse(item("Перезвоните мне", "comment"))
    assert verdict.negative and verdict.reasons == ("text: blend score 1.00",)
    verdict = analyzer.analyse(item("Перезвоните мне", "review", rating=5))
    assert verdict.negative and verdict.reasons == ("complaint under 5★: blend score 1.00",)


def test_model_files_say_which_kinds_they_were_validated_on() -> None:
    model = trained.fit(
        [str(r["text"]) for r in corpus()], [r["label"] == "negative" for r in corpus()]
    )
    assert trained.blend(model).kinds == frozenset({"review"})  # files from before kinds
    model.meta["kinds"] = ["review", "comment"]
    assert trained.blend(model).kinds == frozenset({"review", "comment"})
