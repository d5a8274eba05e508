"""train: fit the text model on the store's rated reviews (or a labelled file), cross-validate
it against the built-in lexicon per kind and per source, and save it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from repcli.analysis.trained import Choice
    from repcli.config.model import Config
    from repcli.store import Store

KINDS = ("review", "comment", "question")


@dataclasses.dataclass(frozen=True)
class TrainOptions:
    from_file: Path | None = None
    """Labelled texts (JSONL or CSV) instead of the store's rated reviews."""
    text_field: str = "text"
    label_field: str = "label"
    rating_field: str = "rating"
    kind: str = "review"
    """What the texts of `from_file` are, for rows without a `kind` key."""
    output: Path | None = None
    """Where to save (default: next to the store, where check finds it)."""
    folds: int = 5

    def __post_init__(self) -> None:
        from repcli.errors import UsageError

        object.__setattr__(self, "kind", self.kind.lower())
        if self.kind not in KINDS:
            raise UsageError(f"--kind {self.kind!r}: not one of {', '.join(KINDS)}")


@dataclasses.dataclass
class TrainResult:
    path: Path
    """Where the model was saved."""
    meta: dict[str, Any]
    """What the model file records of its training (cv quality, kinds, ...)."""
    warnings: list[str]
    choice: Choice
    """The blend kept, with its cross-validated quality."""
    by_kind: dict[str, Any]
    by_source: dict[str, Any]
    validated: list[str]
    """The kinds the model reads (where it beats the lexicon)."""

    def as_dict(self) -> dict[str, Any]:
        """What `train --format json` prints."""
        return {"model": str(self.path), **self.meta, "warnings": self.warnings}


def run(
    options: TrainOptions,
    now: datetime,
    *,
    config: Config | None,
    store: Store | None,
    started: Callable[[int, int, str], None] | None = None,
) -> TrainResult:
    """Train and save. Without `from_file` it trains on `store`'s rated reviews; `store` (and
    `config`) may be None with `from_file` and an `output` (no config). `started(texts,
    negatives, origin)` is called before the (slow) cross-validation. InputError for an
    unreadable file or fewer than 50 texts."""
    from repcli.analysis import trained
    from repcli.analysis.batch import Labelled, label_of, read_labelled_rows
    from repcli.analysis.negativity import LexiconModel
    from repcli.errors import InputError, UsageError

    kind, from_file = options.kind, options.from_file
    if from_file is not None:
        try:
            data = from_file.read_bytes()
        except OSError as exc:
            raise InputError(f"{from_file}: cannot read: {exc.strerror}") from None
        rows = read_labelled_rows(
            data, str(from_file), options.text_field, options.label_field, options.rating_field
        )
        origin = str(from_file)
        rows = [
            dataclasses.replace(
                r, kind=r.kind if r.kind in KINDS else kind, source=r.source or from_file.name
            )
            for r in rows
        ]
    else:
        if config is None or store is None:
            raise UsageError("train needs a store or --from-file")
        rows = [
            Labelled(0, text, "negative" if label_of(r) else "positive", "review", source)
            for text, r, source in store.rated_texts()
        ]
        origin = f"{config.store_label} (rated reviews)"
    if len(rows) < 50:
        raise InputError(
            f"{len(rows)} labelled texts in {origin}: too few to train on (at least 50)",
            "fetch more reviews first, or train --from-file on a labelled export",
        )
    texts = [r.text for r in rows]
    labels = [r.negative for r in rows]
    if started is not None:
        started(len(rows), sum(labels), origin)
    folds = options.folds
    cv = trained.cross_validate_scores(texts, labels, folds=folds, lexicon=LexiconModel())
    choice = trained.best(cv.choices)
    flagged = cv.flagged(choice)
    builtin = [s >= 0.5 for s in cv.lexicon_scores]
    by_kind = trained.by_group([r.kind or kind for r in rows], labels, flagged, builtin)
    by_source = trained.by_group([r.source or "" for r in rows], labels, flagged, builtin)
    validated = trained.validated_kinds(by_kind)
    model = trained.fit(texts, labels)
    model.meta = {
        "trained_on": len(rows), "negatives": sum(labels), "origin": origin,
        "trained_at": now.isoformat(), "cv_folds": folds, "cv": choice.quality.as_dict(),
        "blend_weight": choice.weight, "threshold": choice.threshold,
        "cv_model_alone": cv.choices[1.0].quality.as_dict(),
        "kinds": validated, "cv_by_kind": by_kind, "cv_by_source": by_source,
    }  # fmt: skip
    if options.output is not None:
        path = options.output
    elif config is not None:
        path = trained.model_path(config.store_file)
    else:
        raise UsageError("no config to save the model next to its store", "pass --output")
    model.save(path)
    warnings = _warnings(store, by_kind, validated, from_file is None)
    return TrainResult(
        path=path, meta=model.meta, warnings=warnings, choice=choice, by_kind=by_kind,
        by_source=by_source, validated=validated,
    )  # fmt: skip


def _warnings(
    store: Store | None, by_kind: dict[str, Any], validated: list[str], on_store: bool
) -> list[str]:
    """Where what the model was checked on differs from what it would score."""
    warnings = [
        f"on {k} texts the model does not beat the built-in lexicon (F1 {q['f1']:.2f}, "
        f"built-in {q['builtin_f1']:.2f}): check keeps the lexicon for them"
        for k, q in by_kind.items()
        if q["negatives"] and k not in validated
    ]
    if store is not None:
        others = [
            f"{n - rated if k in validated else n} {'unrated ' if k in validated else ''}{k}s"
            for k, (n, rated) in store.kind_counts().items()
            if k not in validated or rated < n
        ]
        if others:
            checked = ", ".join(f"{'rated ' if on_store else ''}{k}s" for k in by_kind)
            warnings.append(
                f"checked on {checked}; the store also holds {', '.join(others)}: the built-in "
                "models (comments: with the shipped word table) and the question rules read "
                "those, not this model"
            )
    return warnings
