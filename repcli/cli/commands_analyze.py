"""analyze: classify texts from stdin or a file, for scripts and for evaluation."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from repcli.cli.context import State
from repcli.cli.options import Format, FormatOpt, SourceOpt

COLUMNS = ("line", "label", "score", "negative", "lang", "reasons", "topics", "text")


ModelOpt = Annotated[
    str,
    typer.Option(
        "--model",
        help="`auto`: the model `repcli train` saved for the config's store if there is one, "
        "else the built-in lexicon; `builtin`: the lexicon; `accurate`: comments read with the "
        "sentence encoder too (with --kind comment; `pip install 'repcli[accurate]'`); or a "
        "model file from `repcli train` (blended with the lexicon, as check does).",
    ),
]
KindOpt = Annotated[
    str,
    typer.Option(
        "--kind",
        help="What the texts are: review, comment or question (a trained model reads only "
        "the kinds it was validated on; a text that asks is read as a question).",
        case_sensitive=False,
    ),
]
KINDS = ("review", "comment", "question")


def analyze(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(help="A file of texts; `-` or nothing: stdin.", show_default=False),
    ] = None,
    fmt: FormatOpt = None,
    text_field: Annotated[
        str,
        typer.Option(
            "--text-field",
            "--field",
            metavar="FIELD",
            help="The text's key in JSONL or column in CSV.",
        ),
    ] = "text",
    rating_field: Annotated[
        str,
        typer.Option(
            "--rating-field",
            metavar="FIELD",
            help="The 1-5 star rating's key/column: used as the rating when a row has one "
            "(`''`: text only); with --label-field, the label of a row without one.",
        ),
    ] = "rating",
    label_field: Annotated[
        str | None,
        typer.Option(
            "--label-field",
            metavar="FIELD",
            help="Evaluate instead: the key/column of each text's label (negative / neutral / "
            "positive, or 1 / 0, as `train --from-file` reads them); prints precision, recall "
            "and F1 per class and a confusion table.",
            show_default=False,
        ),
    ] = None,
    model: ModelOpt = "auto",
    kind: KindOpt = "review",
) -> None:
    """Classify texts: label, score and the reasons, one row per input.

    Input: plain text (one text per line), JSONL (an object per line) or CSV (with a header),
    told apart by the file's name or its first line. Which model scored them is said on stderr.
    """
    from repcli.analysis import Analyzer
    from repcli.analysis.batch import classify_rows, read_texts
    from repcli.cli import output
    from repcli.errors import UsageError

    state: State = ctx.obj
    kind = kind.lower()
    if kind not in KINDS:
        raise UsageError(f"--kind {kind!r}: not one of {', '.join(KINDS)}")
    evaluating = label_field is not None
    formats_ = (
        (Format.table, Format.json)
        if evaluating
        else (Format.table, Format.jsonl, Format.csv, Format.json)
    )
    if evaluating and fmt in (None, Format.auto) and not state.out.is_terminal:
        fmt = Format.json  # one report, not rows: piped, it is JSON
    fmt_ = output.resolve_format(state, fmt, formats_, use_config=False)
    if path is None or str(path) == "-":
        stdin = getattr(sys.stdin, "buffer", None)  # bytes: decoded and split as the format says
        data = stdin.read() if stdin is not None else sys.stdin.read()
        name = "<stdin>"
    else:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"{path}: cannot read: {exc.strerror}") from None
        name = str(path)
    if model == "accurate":
        if kind != "comment":
            raise UsageError(
                "--model accurate reads unrated comments: add --kind comment",
                "reviews and questions are read as `check` reads them, by the other models",
            )
        said = "the built-in model with the sentence encoder (analysis.comments: accurate)"
        analyzer = Analyzer(comments="accurate")
    else:
        text_model, said = _text_model(state, model, kind)
        analyzer = Analyzer(model=text_model)
    if label_field is not None:
        from repcli.analysis.batch import read_labelled_rows
        from repcli.analysis.evaluation import evaluate

        labelled = read_labelled_rows(data, name, text_field, label_field, rating_field)
        state.info(f"model: {said}")
        report = {"model": said, **evaluate(labelled, analyzer, kind)}  # type: ignore[arg-type]
        if fmt_ is Format.json:
            from repcli.render import formats

            output.write(state, formats.to_json(report))
        else:
            for renderable in _evaluation_tables(report):
                state.out.print(renderable)
        return
    rows = read_texts(data, name, text_field, rating_field or None)
    state.info(f"model: {said}")
    results = classify_rows(rows, analyzer, kind)  # type: ignore[arg-type]
    from repcli.render import tables

    output.emit(
        state,
        fmt_,
        results,
        columns=COLUMNS,
        key="results",
        table=lambda: tables.analysis_table(results),
    )


def _text_model(state: State, choice: str, kind: str) -> tuple[Any, str]:
    """The text model `--model` names (None: the built-in lexicon), and what to say of it."""
    from repcli.analysis.trained import TrainedModel, blend, kinds_of, model_path

    builtin = "the built-in lexicon"
    if choice == "builtin":
        return None, builtin
    if choice == "auto":
        store = _store_of(state)
        if store is None:
            return None, f"{builtin} (no config found, so no trained model)"
        path = model_path(store)
        if not path.exists():
            return None, f"{builtin} (no model trained for {store.name})"
    else:
        path = Path(choice)
    trained = TrainedModel.load(path)
    kinds = kinds_of(trained)
    f1 = trained.meta.get("cv", {}).get("f1")
    said = (
        f"the trained model {path} with the lexicon (validated on {', '.join(kinds) or 'no kind'}"
    )
    said += f", cross-validated F1 {f1:.2f})" if isinstance(f1, int | float) else ")"
    if kind not in kinds:
        said += f"; it does not read {kind} texts, {builtin} does"
    said += "; questions: the question rules"
    return blend(trained), said


def _store_of(state: State) -> Path | None:
    """The store of the config given or found; None when there is no config. A config given
    (--config, $REPCLI_CONFIG) must load; one only found may fail with a warning."""
    import os

    from repcli.config import CONFIG_ENV, find_config
    from repcli.errors import ConfigError

    explicit = state.config_path or os.environ.get(CONFIG_ENV)
    if not explicit:
        try:
            find_config(None)
        except ConfigError:
            return None
    try:
        return state.config.store_file
    except ConfigError as exc:
        if explicit:
            raise
        state.info(f"[yellow]warning:[/yellow] {exc.message}; not using its trained model")
        return None


def _evaluation_tables(report: dict[str, Any]) -> list[Any]:
    from rich.table import Table
    from rich.text import Text

    classes = Table(title=None, box=None, pad_edge=False)
    for header in ("class", "precision", "recall", "F1", "support"):
        classes.add_column(header, justify="left" if header == "class" else "right")
    for c in report["classes"]:
        classes.add_row(
            Text(c["class"]), f"{c['precision']:.2f}", f"{c['recall']:.2f}", f"{c['f1']:.2f}",
            str(c["support"]),
        )  # fmt: skip
    names = [c["class"] for c in report["classes"]]
    confusion = Table(box=None, pad_edge=False)
    confusion.add_column("actual \\ predicted")
    for n in names:
        confusion.add_column(n, justify="right")
    for row in report["confusion"]:
        confusion.add_row(Text(row["actual"]), *(str(row[n]) for n in names))
    summary = (
        f"{report['texts']} texts: accuracy {report['accuracy']:.2f}, "
        f"macro F1 {report['macro_f1']:.2f}"
    )
    return [classes, "", confusion, "", summary]


def train(
    ctx: typer.Context,
    from_file: Annotated[
        Path | None,
        typer.Option(
            "--from-file",
            metavar="FILE",
            help="Labelled texts (JSONL or CSV) instead of the store's rated reviews.",
            show_default=False,
        ),
    ] = None,
    text_field: Annotated[
        str,
        typer.Option("--text-field", "--field", metavar="FIELD", help="The text's key/column."),
    ] = "text",
    label_field: Annotated[
        str,
        typer.Option("--label-field", metavar="FIELD", help="negative/neutral/positive (or 1/0)."),
    ] = "label",
    rating_field: Annotated[
        str,
        typer.Option("--rating-field", metavar="FIELD", help="1-5 stars, when there is no label."),
    ] = "rating",
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="What the labelled texts of --from-file are, for rows without a `kind` key: "
            "review, comment or question. The model reads only the kinds it was checked on.",
            case_sensitive=False,
        ),
    ] = "review",
    output_path: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Where to save (default: next to the store, where check finds it).",
            show_default=False,
        ),
    ] = None,
    folds: Annotated[int, typer.Option("--folds", help="Cross-validation folds.", min=2)] = 5,
    fmt: FormatOpt = None,
) -> None:
    """Train the text model on your own reviews and report its cross-validated quality.

    1-2★ reviews are negative, 3-5★ are not. The model is saved next to the store; `check` then
    blends it with the built-in lexicon for the kinds it was checked on (rated reviews: their
    complaints under high ratings) and where it beats the lexicon; questions and other kinds
    keep the built-in lexicon. Quality is reported per kind and per source.
    """
    from repcli.actions import train as action
    from repcli.cli import output

    state: State = ctx.obj
    fmt_ = output.resolve_format(
        state, fmt, (Format.table, Format.json, Format.jsonl), use_config=False
    )
    options = action.TrainOptions(
        from_file=from_file, text_field=text_field, label_field=label_field,
        rating_field=rating_field, kind=kind, output=output_path, folds=folds,
    )  # fmt: skip
    config, store = None, None
    if from_file is None or _store_of(state) is not None:
        config, store = state.config, state.store
    elif output_path is None:
        config = state.config  # no config to save next to: its ConfigError, before training

    def started(texts: int, negatives: int, origin: str) -> None:
        state.info(f"training on {texts} texts ({negatives} negative) from {origin}…")

    trained = action.run(options, state.now, config=config, store=store, started=started)
    result = trained.as_dict()
    path, warnings, validated = trained.path, trained.warnings, trained.validated
    if fmt_ is not Format.table:
        from repcli.render import formats

        text = formats.to_json(result) if fmt_ is Format.json else formats.to_jsonl([result])
        output.write(state, text)
    else:
        _print_quality(state, folds, trained.choice, trained.by_kind, trained.by_source)
    for warning in warnings:
        state.err.print(f"[yellow]warning:[/yellow] {warning}", markup=True)
    used = f"for {', '.join(validated)}" if validated else "for nothing"
    state.info(
        f"saved {path}"
        + (
            ""
            if output_path
            else f"; check and analyze use it from now on {used} (`repcli reanalyze` applies "
            "it to what is already stored)"
        )
    )


def _print_quality(
    state: State, folds: int, choice: Any, by_kind: dict[str, Any], by_source: dict[str, Any]
) -> None:
    q = choice.quality
    state.out.print(
        f"{folds}-fold cross-validated, negative class: precision {q.precision:.2f}, "
        f"recall {q.recall:.2f}, F1 {q.f1:.2f} (accuracy {q.accuracy:.2f}, "
        f"{q.support} negatives); model weight in the blend with the lexicon: "
        f"{choice.weight:g}, flagged from a blended score of {choice.threshold:g}"
    )
    for title, groups in (("by kind", by_kind), ("by source", by_source)):
        state.out.print(f"{title}: " + "; ".join(_group_line(g, v) for g, v in groups.items()))


def _group_line(name: str, q: dict[str, float | int]) -> str:
    if not q["negatives"]:
        return f"{name} – ({q['texts']} texts, no negatives)"
    return f"{name} F1 {q['f1']:.2f} (built-in {q['builtin_f1']:.2f}, {q['texts']} texts)"


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
    from repcli.actions import reanalyze as action
    from repcli.cli import output

    state: State = ctx.obj
    fmt_ = output.resolve_format(
        state, fmt, (Format.table, Format.json, Format.jsonl), use_config=False
    )
    options = action.ReanalyzeOptions(sources=tuple(source or ()))
    action.select(state.config, options.sources)  # before the store is opened
    if state.config.analysis.comments == "accurate":
        state.info(
            "comments are read with the sentence encoder (analysis.comments: accurate): "
            "about 30 ms each"
        )
    counts = action.run(state.config, state.store, options, state.now).as_dict()
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
    for kind, c in counts["by kind"].items():
        state.out.print(
            f"  {kind}s: {c['items']}, {c['newly negative']} newly negative, "
            f"{c['no longer negative']} no longer negative, {c['changed']} changed, "
            f"{c['same']} same"
        )


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel="Analysis")(analyze)
    app.command(rich_help_panel="Analysis")(train)
    app.command(rich_help_panel="Analysis")(reanalyze)
