"""The question path of the per-item analysis: `questions.score` against a whole
`Analyzer.analyse`, in CPU µs per item (best of REPEAT rounds).

Two sets: (a) the unrated shop reviews of bench/analysis_speed.py (`unrated_texts`, read as
comments; only those that go through the question rules are timed for `questions.score`),
(b) generated questions: RU/UK/EN pre-sale questions, impatient ones and complaints with a
question, one to four sentences each.

Run: python bench/question_speed.py [--repeat 5] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import inspect
import pstats
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from analysis_speed import DATA, unrated_texts

from repcli.analysis import questions
from repcli.analysis.cues import tokenize
from repcli.analysis.lang import detect_language
from repcli.analysis.verdict import Analyzer
from repcli.models import Item

WHEN = datetime(2026, 11, 23, tzinfo=UTC)
ASKING = [
    "Подскажите, а есть ли этот товар в белом цвете?",
    "А если придёт брак, вернёте деньги?",
    "Не линяет ли после стирки?",
    "Когда уже вернёте деньги?!",
    "Сколько можно ждать заказ??",
    "Скажите пожалуйста размер М на какой рост",
    "Підкажіть, чи є доставка до Львова?",
    "Якщо не підійде розмір, можна повернути?",
    "Де моє замовлення? Чекаю вже два тижні",
    "Do you ship to Kazakhstan?",
    "Does it leak if you tip it over?",
    "Where is my order? Still waiting…",
    "Is there a warranty on the motor?",
]
STATEMENTS = [
    "Заказала две штуки для дачи.",
    "Пришла мятая коробка, внутри всё перевёрнуто.",
    "Продавец не отвечает на сообщения уже неделю!",
    "Качество хорошее, но размер маловат.",
    "Замовила на подарунок мамі.",
    "Якість жахлива, розвалилося після першого прання.",
    "Arrived broken and the seller ignored my messages.",
    "Great value for the price\n",
]


def generated_questions(n: int = 2000) -> list[Item]:
    rng = random.Random(2)
    items = []
    for i in range(n):
        parts = [rng.choice(ASKING)]
        for _ in range(rng.randint(0, 3)):
            parts.insert(rng.randint(0, len(parts)), rng.choice(STATEMENTS + ASKING))
        text = " ".join(parts)
        items.append(
            Item(source="wb", platform="wildberries", kind="question", external_id=str(i),
                 created_at=WHEN, text=text)
        )  # fmt: skip
    return items


def best_us(run: Callable[[Any], object], inputs: Sequence[Any], repeat: int) -> float:
    """CPU µs per input: the best of `repeat` rounds."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        for x in inputs:
            run(x)
        best = min(best, time.process_time() - started)
    return best / len(inputs) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    analyser = Analyzer()
    takes_tokens = "tokens" in inspect.signature(questions.score).parameters
    shop, _ = unrated_texts(args.data)
    sets = {"shop reviews as comments": shop, "generated questions": generated_questions()}
    print("| texts | n | questions | analyse µs/item | analyse µs/question | score µs/question |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, items in sets.items():
        if not items:
            print(f"| {name} | (no data in {args.data}) | | | | |")
            continue
        asked = [i for i in items if questions.is_question(i.text or "", i.kind)]
        inputs = [(i.text or "", detect_language(i.text or "")) for i in asked]
        with_tokens = [(t, lang, tokenize(t)) for t, lang in inputs]

        def score(x: tuple[str, str | None]) -> object:
            return questions.score(*x)

        def score_tokens(x: tuple[str, str | None, list[str]]) -> object:
            return questions.score(x[0], x[1], tokens=x[2])  # type: ignore[call-arg]

        analyse_all = best_us(analyser.analyse, items, args.repeat)
        analyse_q = best_us(analyser.analyse, asked, args.repeat)
        score_q = best_us(score, inputs, args.repeat)
        print(
            f"| {name} | {len(items)} | {len(asked)} | {analyse_all:.1f} | {analyse_q:.1f} "
            f"| {score_q:.1f} |"
        )
        if takes_tokens:
            given = best_us(score_tokens, with_tokens, args.repeat)
            print(f"| {name}: score with tokens given | | | | | {given:.1f} |")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for x in inputs * 3:
                score(x)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    main()
