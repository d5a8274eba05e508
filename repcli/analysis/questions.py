"""Questions: telling a question from a complaint, and scoring it with rules fit for one.

A question is not a complaint unless it complains. "Do you ship to Kazakhstan?" or "Подскажите
состав полотенец?" asks; "Когда уже вернёте деньги?!" complains. A model trained on rated reviews
has never seen a pre-sale question and reads its words as it reads a review's ("model: you"), so
questions are scored by the built-in lexicon with a few rules of their own:

- a hypothetical or yes/no question ("А если придёт брак, вернёте деньги?", "Does it leak?")
  asks about a problem the customer does not have: its complaint words do not count;
- impatience counts: "когда уже", "сколько можно", "where is my order", `?!`; these cues
  (`question_complaints:` in the lexicon) are read in questions only;
- everything else in the text (a statement beside the question) counts as it would anyway, so
  every complaint the lexicon finds in a question stays one.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from repcli.analysis.cues import WORD, normalise
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


# The words of a sentence as `tokenize` finds them (runs of word characters joined by
# apostrophes, in the `normalise`d text), without its BOUNDARY marks: one C pass that
# `_asks_only` reads instead of tokenizing each sentence that ends in "?" (half the time).
_WORDS = re.compile(WORD)
_END_MARKS = (".", "!", "?", "…")
_LINE_MARK = re.compile(r"\n[.!?…]")  # a literal "\n" first: found by a fast scan


def _unread_mark(text: str) -> bool:
    """An end mark that no sentence holds (at the start of the text or of a line): `_SENTENCE`
    leaves it out of the text the lexicon reads, where the whole text reads a BOUNDARY (or a
    `?!`). One regular expression for both places, `(?:\\A|\\n)[.!?…]`, is ~10x slower."""
    return text.startswith(_END_MARKS) or ("\n" in text and _LINE_MARK.search(text) is not None)


def _asks_only(sentence: str) -> bool:
    """A question that asks about a problem rather than reports one: ends in a plain `?` and
    is hypothetical or yes/no ("Не линяет ли?", "А если брак?", "Does it leak?")."""
    end = sentence.rstrip()
    if not end.endswith("?") or any(mark in end for mark in _IMPATIENT) or "??" in end:
        return False
    words = _WORDS.findall(normalise(end))
    if not words:
        return False
    return not _HYPOTHETICAL.isdisjoint(words) or words[0] in _EN_YES_NO


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


def score(text: str, lang: str | None, tokens: list[str] | None = None) -> TextScore:
    """A question's negativity: the lexicon (with the question cues) over the text, leaving out
    sentences that only ask about a problem. `tokens`: the text's `tokenize`, when the caller
    has it already.

    The text is read whole (its own tokens) unless a sentence is left out or an end mark
    stands where no sentence holds it (`_unread_mark`); then the kept sentences are read
    joined, as they always were. Both read the same: between the sentences the whole text has
    only whitespace that joining them drops, and joining puts a space only after an end mark
    or a line, where no word or `?!` can be cut."""
    lexicon = _question_lexicon()
    sentences: list[str] | None = None
    asking: set[str] = set()
    if "?" in text:  # a sentence that only asks ends in "?"
        sentences = _SENTENCE.findall(text)
        # A sentence holds its end marks: one that ends in "?" ends in it after `rstrip` too.
        # One text of a sentence asks only or not: those that do, by their text.
        asking = {s for s in sentences if s[-1] == "?" and _asks_only(s)}
    if asking or _unread_mark(text):
        if sentences is None:
            sentences = _SENTENCE.findall(text)
        kept = [s for s in sentences if s.strip() and s not in asking]
        return lexicon.score(" ".join(kept), lang) if kept else TextScore(0.0)
    # Every sentence kept, and nothing but whitespace between them: the text reads as they do
    # (a text with no sentence but whitespace reads nothing, as none does).
    return lexicon.score(text, lang, tokens)
