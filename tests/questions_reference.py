"""FROZEN pre-change copy of repcli/analysis/questions.py, for tests/test_questions_equivalence.py.

Do not edit: the equivalence test checks that the current `questions.is_question` and
`questions.score` give exactly what this copy gives. Below: the module as it was.
"""

# ruff: noqa
# fmt: off

from __future__ import annotations

import re
from functools import cache
from typing import Any

from repcli.analysis.cues import normalise, tokenize
from repcli.analysis.negativity import LexiconModel, TextScore
from repcli.analysis.shipped import load_yaml

# A sentence: text up to and including its run of end marks (or the end of a line / the text).
_SENTENCE = re.compile(r"[^.!?…\n]+(?:[.!?…]+|\n|$)")
# Opening words of a question or a request for information, without a question mark.
_OPENERS = re.compile(
    r"^\W*(?:а\s+|и\s+|і\s+|and\s+|so\s+)?(?:"
    r"подскажите|скажите|уточните|подскаж|подкажите|напишите,?\s+пожалуйста|есть\s+ли|"
    r"будет\s+ли|можно\s+ли|"
    r"підкажіть|скажіть|уточніть|напишіть,?\s+будь\s+ласка|чи\s|"
    r"do\s+you|does\s+(?:it|this|the)|is\s+(?:it|there|this)|are\s+(?:there|they|these)|"
    r"can\s+(?:i|you|we)|could\s+you|will\s+(?:it|you|there)|how\s+(?:much|many|long|do)|"
    r"what(?:'s|\s+is|\s+are)|please\s+(?:tell|advise|let)"
    r")",
    re.IGNORECASE,
)
# Words that make a question hypothetical or yes/no: its complaint words are asked about.
_HYPOTHETICAL = frozenset(
    {"ли", "если", "бывает", "чи", "якщо", "буває", "if", "whether"}
)  # fmt: skip
_EN_YES_NO = frozenset(
    {"do", "does", "is", "are", "can", "could", "will", "would", "should", "has", "have"}
)
_IMPATIENT = ("?!", "!?")


def is_question(text: str, kind: str) -> bool:
    """A question (kind `question`), or text that asks: a sentence ending in `?`, or opening as
    a question or a request for information ("Подскажите…", "Do you…", "Напишите, пожалуйста…")."""
    if kind == "question":
        return True
    return "?" in text or bool(_OPENERS.match(normalise(text)))


def _asks_only(sentence: str) -> bool:
    """A question that asks about a problem rather than reports one: ends in a plain `?` and
    is hypothetical or yes/no ("Не линяет ли?", "А если брак?", "Does it leak?")."""
    end = sentence.rstrip()
    if not end.endswith("?") or any(mark in end for mark in _IMPATIENT) or "??" in end:
        return False
    tokens = [t for t in tokenize(end) if t != "|"]
    if not tokens:
        return False
    return bool(_HYPOTHETICAL.intersection(tokens)) or tokens[0] in _EN_YES_NO


@cache
def _question_lexicon() -> LexiconModel:
    """The built-in lexicon plus the cues that complain only in a question."""
    data: dict[str, Any] = dict(load_yaml("lexicon.yaml"))
    extra = data.get("question_complaints") or {}
    negative = {
        lang: {**(cues or {}), **(extra.get(lang) or {})}
        for lang, cues in {**dict.fromkeys(extra), **data["negative"]}.items()
    }
    emoji = dict(data.get("emoji") or {})
    emoji["negative"] = {**(emoji.get("negative") or {}), **dict.fromkeys(_IMPATIENT, 1)}
    return LexiconModel({**data, "negative": negative, "emoji": emoji})


def score(text: str, lang: str | None) -> TextScore:
    """A question's negativity: the lexicon (with the question cues) over the text, leaving out
    sentences that only ask about a problem."""
    kept = [s for s in _SENTENCE.findall(text) if s.strip() and not _asks_only(s)]
    if not kept:
        return TextScore(0.0)
    return _question_lexicon().score(" ".join(kept), lang)
