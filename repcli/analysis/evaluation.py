"""How well the analysis labels texts whose labels are known (`analyze --label-field`).

Classes are negative / neutral / positive when every label names one (or is a 1-5 rating);
with a 0 / false label among them ("not negative": neutral or positive, unsaid), the classes
are negative and not negative. Precision, recall and F1 per class, and a confusion table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from repcli.analysis.batch import NOT_NEGATIVE, Labelled
from repcli.analysis.verdict import Analyzer
from repcli.models import Item, Kind

THREE = ("negative", "neutral", "positive")
TWO = ("negative", NOT_NEGATIVE)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def evaluate(
    rows: Sequence[Labelled], analyzer: Analyzer | None = None, kind: Kind = "review"
) -> dict[str, Any]:
    """Each text analysed alone (a rating that gave its label is not shown to the analysis),
    as an item of `kind` (or the row's own `kind`), and compared with its label."""
    analyzer = analyzer or Analyzer()
    classes = TWO if any(r.label == NOT_NEGATIVE for r in rows) else THREE
    pairs: list[tuple[str, str]] = []
    for r in rows:
        own = r.kind if r.kind in ("review", "question", "comment") else kind
        item = Item(
            source=r.source or "-", platform="-", kind=own,  # type: ignore[arg-type]
            external_id=str(r.line), created_at=_EPOCH, text=r.text,
        )  # fmt: skip
        verdict = analyzer.analyse(item)
        predicted: str = verdict.sentiment
        if classes is TWO and predicted != "negative":
            predicted = NOT_NEGATIVE
        pairs.append((r.label, predicted))
    per_class: list[dict[str, Any]] = []
    for c in classes:
        tp = sum(1 for a, p in pairs if a == c and p == c)
        predicted_c = sum(1 for _, p in pairs if p == c)
        support = sum(1 for a, _ in pairs if a == c)
        precision = tp / predicted_c if predicted_c else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class.append(
            {"class": c, "precision": round(precision, 4), "recall": round(recall, 4),
             "f1": round(f1, 4), "support": support}
        )  # fmt: skip
    confusion = [
        {"actual": a, **{p: sum(1 for x, y in pairs if x == a and y == p) for p in classes}}
        for a in classes
    ]
    correct = sum(1 for a, p in pairs if a == p)
    return {
        "texts": len(pairs),
        "accuracy": round(correct / len(pairs), 4) if pairs else 0.0,
        "macro_f1": round(sum(c["f1"] for c in per_class) / len(per_class), 4),
        "classes": per_class,
        "confusion": confusion,
    }
