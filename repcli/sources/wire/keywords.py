"""Brand and keyword filters for social sources: include/exclude words, case-insensitive and
tolerant of word forms (Russian and Ukrainian endings): "Уютный дом" also matches "уютного дома"."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from repcli.analysis.cues import tokenize
from repcli.stems import ending_stem as stem


@dataclasses.dataclass(frozen=True)
class KeywordFilter:
    """Keep texts that mention any `include` phrase (all texts when empty) and no `exclude` one."""

    include: Sequence[str] = ()
    exclude: Sequence[str] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "_inc", [self._phrase(p) for p in self.include if p.strip()])
        object.__setattr__(self, "_exc", [self._phrase(p) for p in self.exclude if p.strip()])

    @staticmethod
    def _phrase(text: str) -> list[str]:
        return [stem(word) for word in tokenize(text) if word != "|"]

    @staticmethod
    def _mentions(tokens: list[str], phrase: list[str]) -> bool:
        n = len(phrase)
        return any(
            all(tokens[i + k].startswith(phrase[k]) for k in range(n))
            for i in range(len(tokens) - n + 1)
        )

    def __call__(self, text: str) -> bool:
        tokens = tokenize(text)
        inc: list[list[str]] = self._inc  # type: ignore[attr-defined]
        exc: list[list[str]] = self._exc  # type: ignore[attr-defined]
        if inc and not any(self._mentions(tokens, p) for p in inc):
            return False
        return not any(self._mentions(tokens, p) for p in exc)
