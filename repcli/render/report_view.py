"""The report laid out for people: terminal tables, Markdown, self-contained HTML with inline
SVG charts; and flat CSV for scripts. Labels follow the locale (en, ru, uk); JSON and CSV keys
never change with it. Every text from the store is escaped for the format it goes into."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from repcli.render import formats

LOCALES = ("en", "ru", "uk")
_T: dict[str, dict[str, str]] = {
    "title": {"en": "Reputation report", "ru": "Отчёт о репутации", "uk": "Звіт про репутацію"},
    "period": {"en": "Period", "ru": "Период", "uk": "Період"},
    "overview": {"en": "Overview", "ru": "Сводка", "uk": "Зведення"},
    "items": {"en": "New items", "ru": "Новых отзывов и комментариев", "uk": "Нових відгуків і коментарів"},
    "negatives": {"en": "Negative", "ru": "Негативных", "uk": "Негативних"},
    "rating": {"en": "Average rating", "ru": "Средняя оценка", "uk": "Середня оцінка"},
    "previous": {"en": "previous period", "ru": "прошлый период", "uk": "попередній період"},
    "distribution": {"en": "Ratings", "ru": "Оценки", "uk": "Оцінки"},
    "answers": {"en": "Answers", "ru": "Ответы", "uk": "Відповіді"},
    "response_rate": {"en": "Response rate", "ru": "Доля отвеченных", "uk": "Частка відповідей"},
    "median": {"en": "Median time to answer", "ru": "Медиана времени ответа", "uk": "Медіана часу відповіді"},
    "p90": {"en": "90% answered within", "ru": "90% отвечены за", "uk": "90% відповідей за"},
    "breaches": {"en": "SLA breaches", "ru": "Нарушения SLA", "uk": "Порушення SLA"},
    "hours": {"en": "h", "ru": "ч", "uk": "год"},
    "topics": {"en": "Complaint causes", "ru": "Причины жалоб", "uk": "Причини скарг"},
    "topic": {"en": "Cause", "ru": "Причина", "uk": "Причина"},
    "count": {"en": "Count", "ru": "Кол-во", "uk": "Кількість"},
    "change": {"en": "Change", "ru": "Изменение", "uk": "Зміна"},
    "worst": {"en": "Products that got worse", "ru": "Товары, которые просели", "uk": "Товари, що погіршилися"},
    "product": {"en": "Product", "ru": "Товар", "uk": "Товар"},
    "effect": {"en": "Reply effect", "ru": "Эффект ответов", "uk": "Ефект відповідей"},
    "effect_text": {
        "en": "{changed} of {answered} answered reviews changed their rating ({improved} up), average change {avg}",
        "ru": "{changed} из {answered} отвеченных отзывов изменили оценку ({improved} повысили), в среднем {avg}",
        "uk": "{changed} з {answered} відгуків з відповіддю змінили оцінку ({improved} підвищили), у середньому {avg}",
    },
    "forecast": {"en": "Rating forecast", "ru": "Прогноз рейтинга", "uk": "Прогноз рейтингу"},
    "needed": {"en": "5★ reviews needed for {target}", "ru": "Нужно 5★ до {target}", "uk": "Потрібно 5★ до {target}"},
    "comparison": {"en": "Sources and competitors", "ru": "Источники и конкуренты", "uk": "Джерела та конкуренти"},
    "source": {"en": "Source", "ru": "Источник", "uk": "Джерело"},
    "competitor": {"en": "competitor", "ru": "конкурент", "uk": "конкурент"},
    "negative_share": {"en": "Negative share", "ru": "Доля негатива", "uk": "Частка негативу"},
    "suspicious": {"en": "Suspicious", "ru": "Подозрительное", "uk": "Підозріле"},
    "extortion": {"en": "Extortion", "ru": "Вымогательство", "uk": "Вимагання"},
    "bursts": {"en": "Review bursts", "ru": "Всплески отзывов", "uk": "Сплески відгуків"},
    "authors": {"en": "1★-only authors", "ru": "Авторы только 1★", "uk": "Автори лише 1★"},
    "trend": {"en": "Rating trend", "ru": "Динамика оценки", "uk": "Динаміка оцінки"},
    "none": {"en": "none", "ru": "нет", "uk": "немає"},
}  # fmt: skip


def t(key: str, locale: str) -> str:
    labels = _T[key]
    return labels.get(locale) or labels["en"]


def topic_label(key: str, locale: str) -> str:
    """The taxonomy's own label for a topic in the locale (the key when it has none)."""
    from repcli.analysis.shipped import load_yaml

    label = ((load_yaml("topics.yaml").get("topics") or {}).get(key) or {}).get("label") or {}
    return str(label.get(locale) or label.get("en") or key)


def num(value: float | None, locale: str, digits: int = 2) -> str:
    if value is None:
        return "–"
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"
    return text.replace(".", ",") if locale in ("ru", "uk") else text


def pct(value: float | None, locale: str) -> str:
    return "–" if value is None else num(value * 100, locale, 1) + "%"


def date(iso: str, locale: str) -> str:
    day = iso[:10]
    if locale in ("ru", "uk"):
        y, m, d = day.split("-")
        return f"{d}.{m}.{y}"
    return day


def _signed(value: float | None, locale: str) -> str:
    if value is None:
        return "–"
    return ("+" if value > 0 else "") + num(value, locale)


def _effect_text(r: dict[str, Any], locale: str) -> str:
    e = r["reply_effect"]
    return t("effect_text", locale).format(
        changed=e["changed"], answered=e["answered"], improved=e["improved"],
        avg=_signed(e["average_change"], locale),
    )  # fmt: skip


def sections(r: dict[str, Any], locale: str) -> list[tuple[str, list[str], list[list[str]]]]:
    """(heading, column headers, rows) of every table in the report, in the locale; plain text
    (each renderer escapes it for its format)."""
    h = t("hours", locale)
    rating, totals, answers = r["rating"], r["totals"], r["answers"]
    overview = [
        [t("items", locale), str(totals["items"]), str(totals["previous_items"])],
        [t("negatives", locale), str(totals["negatives"]), str(totals["previous_negatives"])],
        [
            t("rating", locale),
            num(rating["average"], locale),
            num(rating["previous_average"], locale),
        ],
        [t("response_rate", locale), pct(answers["response_rate"], locale), ""],
        [t("median", locale), f"{num(answers['median_hours'], locale, 1)} {h}", ""],
        [t("p90", locale), f"{num(answers['p90_hours'], locale, 1)} {h}", ""],
        [t("breaches", locale), str(answers["sla_breaches"]), ""],
    ]
    dist = [[f"{k}★", str(v)] for k, v in sorted(rating["distribution"].items(), reverse=True)]
    topics = [[topic_label(x["topic"], locale), str(x["count"]), _signed(x["change"], locale)]
              for x in r["topics"]]  # fmt: skip
    worst = [[x["product_name"] or x["product_id"], num(x["rating"], locale),
              num(x["previous"], locale), _signed(x["change"], locale)] for x in r["worst_products"]]  # fmt: skip
    forecast = [[x["product_name"] or x["product_id"], num(x["rating"], locale), str(x["reviews"]),
                 str(x["five_star_needed"])] for x in r["forecast"]]  # fmt: skip
    comparison = [[x["source"] + (f" ({t('competitor', locale)})" if x["competitor"] else ""),
                   str(x["items"]), num(x["rating"], locale), pct(x["negative_share"], locale)]
                  for x in r["comparison"]]  # fmt: skip
    s = r["suspicious"]
    suspicious = [[t("extortion", locale), str(s["extortion"])], [t("bursts", locale), str(s["bursts"])],
                  [t("authors", locale), str(s["one_star_authors"])]]  # fmt: skip
    target = num(r["forecast"][0]["target"], locale) if r["forecast"] else ""
    return [
        (t("overview", locale), ["", "", t("previous", locale)], overview),
        (t("distribution", locale), ["", t("count", locale)], dist),
        (t("topics", locale), [t("topic", locale), t("count", locale), t("change", locale)], topics),
        (t("worst", locale), [t("product", locale), t("rating", locale), t("previous", locale), t("change", locale)], worst),
        (t("effect", locale), [""], [[_effect_text(r, locale)]]),
        (t("forecast", locale), [t("product", locale), t("rating", locale), t("count", locale), t("needed", locale).format(target=target)], forecast),
        (t("comparison", locale), [t("source", locale), t("count", locale), t("rating", locale), t("negative_share", locale)], comparison),
        (t("suspicious", locale), ["", t("count", locale)], suspicious),
    ]  # fmt: skip


def heading(r: dict[str, Any], locale: str) -> str:
    p = r["period"]
    return f"{t('title', locale)}: {date(p['since'], locale)} – {date(p['until'], locale)}"


def to_markdown(r: dict[str, Any], locale: str) -> str:
    out = [f"# {formats.md_cell(heading(r, locale))}", ""]
    for title, headers, rows in sections(r, locale):
        out.append(f"## {formats.md_cell(title)}\n")
        if not rows:
            out.append(f"_{t('none', locale)}_\n")
            continue
        if headers == [""]:
            out.append(formats.md_cell(rows[0][0]) + "\n")
            continue
        out.append("| " + " | ".join(formats.md_cell(x) for x in headers) + " |")
        out.append("|" + "---|" * len(headers))
        out += ["| " + " | ".join(formats.md_cell(x) for x in row) + " |" for row in rows]
        out.append("")
    return "\n".join(out)


def to_csv(r: dict[str, Any]) -> str:
    """Long form: section, key, value: the same keys in every locale."""
    rows: list[dict[str, Any]] = []

    def walk(section: str, value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(section, v, f"{key}.{k}" if key else str(k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(section, v, f"{key}[{i}]" if key else f"[{i}]")
        else:
            rows.append({"section": section, "key": key, "value": value})

    for section, value in r.items():
        if section != "schema":
            walk(section, value)
    return formats.to_csv(rows, ("section", "key", "value"))


# ------------------------------------------------------------------------- HTML with SVG


def _svg_line(
    points: Sequence[tuple[str, float | None]], width: int = 640, height: int = 180
) -> str:
    pts = [(label, v) for label, v in points if v is not None]
    if len(pts) < 2:
        return ""
    pad = 30
    step = (width - 2 * pad) / (len(pts) - 1)

    def y(v: float) -> float:
        return height - pad - (v - 1) / 4 * (height - 2 * pad)

    path = " ".join(
        f"{'M' if i == 0 else 'L'}{pad + i * step:.1f},{y(v):.1f}" for i, (_, v) in enumerate(pts)
    )
    grid = "".join(
        f'<line x1="{pad}" x2="{width - pad}" y1="{y(g):.1f}" y2="{y(g):.1f}" class="grid"/>'
        f'<text x="4" y="{y(g) + 4:.1f}" class="axis">{g}★</text>'
        for g in (1, 3, 5)
    )
    dots = "".join(
        f'<circle cx="{pad + i * step:.1f}" cy="{y(v):.1f}" r="2.5"><title>{html.escape(label)}: {v}</title></circle>'
        for i, (label, v) in enumerate(pts)
    )
    first, last = html.escape(pts[0][0]), html.escape(pts[-1][0])
    return (
        f'<svg class="chart" id="trend" viewBox="0 0 {width} {height}" role="img" width="{width}" height="{height}">'
        f'{grid}<path d="{path}" class="line"/>{dots}'
        f'<text x="{pad}" y="{height - 6}" class="axis">{first}</text>'
        f'<text x="{width - pad}" y="{height - 6}" class="axis" text-anchor="end">{last}</text></svg>'
    )  # fmt: skip


def _svg_bars(
    bars: Sequence[tuple[str, float]], chart_id: str, unit: str = "", width: int = 640
) -> str:
    if not bars:
        return ""
    top = max(v for _, v in bars) or 1
    row, label_w = 22, 250
    height = row * len(bars) + 10
    parts = []
    for i, (name, value) in enumerate(bars):
        label = name if len(name) <= 38 else name[:37] + "…"
        shown = f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
        w = (width - label_w - 60) * value / top
        y = 5 + i * row
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" class="axis">{html.escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" class="bar"/>'
            f'<text x="{label_w + w + 5:.1f}" y="{y + 14}" class="axis">{html.escape(shown)}{unit}</text>'
        )  # fmt: skip
    return f'<svg class="chart" id="{chart_id}" viewBox="0 0 {width} {height}" role="img" width="{width}" height="{height}">{"".join(parts)}</svg>'


_CSS = """body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:760px;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.4em 0}td,th{padding:3px 10px;text-align:left;border-bottom:1px solid #eee}
th{color:#555;font-weight:600}.chart .line{fill:none;stroke:#2b6cb0;stroke-width:2}.chart circle{fill:#2b6cb0}
.chart .grid{stroke:#e5e5e5}.chart .axis{font-size:11px;fill:#666}.chart .bar{fill:#e07a5f}
.chart#response .bar{fill:#81b29a}footer{margin-top:2em;color:#888;font-size:12px}"""


def to_html(r: dict[str, Any], locale: str) -> str:
    """One self-contained page: no script, no external resource; all text escaped."""
    e = html.escape
    h = t("hours", locale)
    body = [f"<h1>{e(heading(r, locale))}</h1>"]
    trend = [(p["bucket"], p["rating"]) for p in r["trend"]["points"]]
    body.append(f"<h2>{e(t('trend', locale))}</h2>{_svg_line(trend) or e(t('none', locale))}")
    topic_bars = [(topic_label(x["topic"], locale), float(x["count"])) for x in r["topics"][:10]]
    body.append(
        f"<h2>{e(t('topics', locale))}</h2>{_svg_bars(topic_bars, 'topics') or e(t('none', locale))}"
    )
    a = r["answers"]
    response = [
        (t("median", locale), a["median_hours"] or 0.0),
        (t("p90", locale), a["p90_hours"] or 0.0),
    ]
    body.append(f"<h2>{e(t('answers', locale))}</h2>{_svg_bars(response, 'response', ' ' + h)}")
    for title, headers, rows in sections(r, locale):
        body.append(f"<h2>{e(title)}</h2>")
        if not rows:
            body.append(f"<p>{e(t('none', locale))}</p>")
        elif headers == [""]:
            body.append(f"<p>{e(rows[0][0])}</p>")
        else:
            head = "".join(f"<th>{e(x)}</th>" for x in headers)
            cells = "".join(
                "<tr>" + "".join(f"<td>{e(x)}</td>" for x in row) + "</tr>" for row in rows
            )
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table>")
    lang = locale if locale in LOCALES else "en"
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{e(heading(r, locale))}</title><style>{_CSS}</style></head><body>"
        + "".join(body)
        + f"<footer>{e(r['schema'])}</footer></body></html>\n"
    )
