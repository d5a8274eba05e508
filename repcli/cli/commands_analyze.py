"""analyze: classify texts from stdin or a file, for scripts and for evaluation."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from repcli.cli.context import State
from repcli.cli.options import Format, FormatOpt, SourceOpt

COLUMNS = ("line", "label", "score", "negative", "lang", "reasons", "topics", "text")


def analyze(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(help="A file of texts; `-` or nothing: stdin.", show_default=False),
    ] = None,
    fmt: FormatOpt = None,
    text_field: Annotated[
        str, typer.Option("--field", help="The text's key in JSONL or column in CSV.")
    ] = "text",
    rating_field: Annotated[
        str | None,
        typer.Option(
            "--rating-field",
            help="Also use this key/column as the star rating (default: text only).",
            show_default=False,
        ),
    ] = None,
    model: Annotated[
        str,
        typer.Option(
            "--model",
            help="`builtin` (the lexicon), or a model file from `repcli "
            "train` (blended with the lexicon, as check does).",
        ),
    ] = "builtin",
) -> None:
    """Classify texts: label, score and the reasons, one row per input.

    Input: plain text (one text per line), JSONL (an object per line) or CSV (with a header),
    told apart by the file's name or its first line.
    """
    from repcli.analysis.batch import classify_rows, read_texts
    from repcli.cli import output
    from repcli.errors import UsageError

    state: State = ctx.obj
    fmt_ = output.resolve_format(
        state, fmt, (Format.table, Format.jsonl, Format.csv, Format.json), use_config=False
    )
    if path is None or str(path) == "-":
        stdin = getattr(sys.stdin, "buffer", None)  # bytes: decoded and split as the format says
        data = stdin.read() if stdin is not None else sys.stdin.read()
        rows = read_texts(data, "<stdin>", text_field, rating_field)
    else:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"{path}: cannot read: {exc.strerror}") from None
        rows = read_texts(data, str(path), text_field, rating_field)
    analyzer = None
    if model != "builtin":
        from repcli.analysis import Analyzer
        from repcli.analysis.trained import TrainedModel, blend

        analyzer = Analyzer(model=blend(TrainedModel.load(Path(model))))
    results = classify_rows(rows, analyzer)
    from repcli.render import tables

    output.emit(
        state,
        fmt_,
        results,
        columns=COLUMNS,
        key="results",
        table=lambda: tables.analysis_table(results),
    )


def train(
    ctx: typer.Context,
    from_file: Annotated[
        Path | None,
        typer.Option(
            "--from-file",
            help="Labelled texts (JSONL or CSV) instead of the store's rated reviews.",
            show_default=False,
        ),
    ] = None,
    text_field: Annotated[
        str, typer.Option("--text-field", help="The text's key/column.")
    ] = "text",
    label_field: Annotated[
        str, typer.Option("--label-field", help="negative/neutral/positive (or 1/0).")
    ] = "label",
    rating_field: Annotated[
        str, typer.Option("--rating-field", help="1-5 stars, when there is no label.")
    ] = "rating",
    output_path: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Where to save (default: next to the store, where check finds it).",
            show_default=False,
        ),
    ] = None,
    folds: Annotated[int, typer.Option("--folds", help="Cross-validation folds.", min=2)] = 5,
    fmt: FormatOpt = None,
) -> None:
    """Train the text model on your own reviews and report its cross-validated quality.

    1-2★ reviews are negative, 3-5★ are not. The model is saved next to the store; `check` then
    blends it with the built-in lexicon for unrated comments and complaints under high ratings.
    """
    from repcli.analysis import trained
    from repcli.analysis.batch import label_of, read_labelled
    from repcli.cli import output
    from repcli.errors import InputError

    state: State = ctx.obj
    fmt_ = output.resolve_format(
        state, fmt, (Format.table, Format.json, Format.jsonl), use_config=False
    )
    if from_file is not None:
        try:
            data = from_file.read_bytes()
        except OSError as exc:
            raise InputError(f"{from_file}: cannot read: {exc.strerror}") from None
        rows = read_labelled(data, str(from_file), text_field, label_field, rating_field)
        origin = str(from_file)
    else:
        rows = [(text, label_of(rating)) for text, rating in state.store.rated_texts()]
        origin = f"{state.config.store} (rated reviews)"
    if len(rows) < 50:
        raise InputError(
            f"{len(rows)} labelled texts in {origin}: too few to train on (at least 50)",
            "fetch more reviews first, or train --from-file on a labelled export",
        )
    texts = [t for t, _ in rows]
    labels = [neg for _, neg in rows]
    state.info(f"training on {len(rows)} texts ({sum(labels)} negative) from {origin}…")
    from repcli.analysis.negativity import LexiconModel

    choices = trained.cross_validate(texts, labels, folds=folds, lexicon=LexiconModel())
    choice = trained.best(choices)
    model = trained.fit(texts, labels)
    model.meta = {
        "trained_on": len(rows), "negatives": sum(labels), "origin": origin,
        "trained_at": state.now.isoformat(), "cv_folds": folds, "cv": choice.quality.as_dict(),
        "blend_weight": choice.weight, "threshold": choice.threshold,
        "cv_model_alone": choices[1.0].quality.as_dict(),
    }  # fmt: skip
    path = output_path or trained.model_path(state.config.store)
    model.save(path)
    result = {"model": str(path), **model.meta}
    if fmt_ is not Format.table:
        from repcli.render import formats

        text = formats.to_json(result) if fmt_ is Format.json else formats.to_jsonl([result])
        output.write(state, text)
        return
    q = choice.quality
    state.out.print(
        f"{folds}-fold cross-validated, negative class: precision {q.precision:.2f}, "
        f"recall {q.recall:.2f}, F1 {q.f1:.2f} (accuracy {q.accuracy:.2f}, "
        f"{q.support} negatives); model weight in the blend with the lexicon: "
        f"{choice.weight:g}, flagged from a blended score of {choice.threshold:g}"
    )
    state.info(
        f"saved {path}"
        + (
            ""
            if output_path
            else "; check and analyze use it from now on (`repcli reanalyze` applies it to "
            "what is already stored)"
        )
    )


def reanalyze(
    ctx: typer.Context,
    source: SourceOpt = None,
    fmt: FormatOpt = None,
) -> None:
    """Analyse the stored items again with today's model, topics and thresholds.

    Run it after `train`, or after changing `topics:`, `thresholds:` or SLA hours: what is
    stored gets the same verdicts, causes and reply deadlines a new item would get. Items
    that turn negative are shown by the next `check`; statuses, notes and replies are kept.
    """
    from repcli.cli import output
    from repcli.pipeline import Pipeline, select_sources

    state: State = ctx.obj
    fmt_ = output.resolve_format(
        state, fmt, (Format.table, Format.json, Format.jsonl), use_config=False
    )
    selected = select_sources(state.config, source or [])
    counts = Pipeline(state.config, state.store, state.now).reanalyse(selected)
    if fmt_ is not Format.table:
        from repcli.render import formats

        text = formats.to_json(counts) if fmt_ is Format.json else formats.to_jsonl([counts])
        output.write(state, text)
        return
    state.out.print(
        f"{counts['items']} items analysed again: {counts['newly negative']} newly negative, "
        f"{counts['no longer negative']} no longer negative, {counts['changed']} with other "
        f"changes (score, causes or deadline), {counts['same']} as they were"
    )


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel="Analysis")(analyze)
    app.command(rich_help_panel="Analysis")(train)
    app.command(rich_help_panel="Analysis")(reanalyze)
