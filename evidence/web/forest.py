"""Forest plots as SVG, drawn on the server.

Each study is a square (area by weight) with its 95 % confidence interval,
the pooled estimate a diamond, the 95 % prediction interval a bar under it.
Ratio measures are drawn on a log axis labelled in natural units (0.5, 1, 2);
the others on a linear axis. Every piece of text goes through ``escape``;
colours are presentation attributes and classes, so the strict CSP holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from markupsafe import Markup, escape

from ..constants import Z
from ..stats import units

ROW, TOP, LEFT, PLOT, RIGHT = 20, 34, 200, 330, 240
WIDTH = LEFT + PLOT + RIGHT
LOG_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100)
LOG_TICKS_FINE = (0.1, 0.2, 0.25, 0.33, 0.5, 0.67, 1, 1.5, 2, 3, 4, 5, 10)
LIMIT = math.log(200)


@dataclass
class Texts:
    """Translated words the plot needs."""

    title: str
    description: str
    study: str
    estimate: str
    weight: str
    pooled: str
    prediction: str
    axis: str
    favours_left: str
    favours_right: str


def nice_linear(lo: float, hi: float) -> list[float]:
    """About five round ticks (1, 2, 2.5, 5 × 10^k apart) from ``lo`` to ``hi``."""
    span = hi - lo or 1.0
    raw = span / 5
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step) * step
    return [round(start + i * step, 10) for i in range(int((hi - start) / step) + 1)]


def _ticks(log: bool, lo: float, hi: float) -> list[float]:
    if not log:
        return nice_linear(lo, hi)
    span = hi - lo
    candidates = LOG_TICKS_FINE if span < math.log(12) else LOG_TICKS
    ticks = [math.log(t) for t in candidates if lo <= math.log(t) <= hi]
    return ticks if len(ticks) >= 2 else [lo, 0.0, hi]


def _fmt(value: float, log: bool, number, digits: int = 2) -> str:
    return number(math.exp(value) if log else value, digits)


def study_rows(result: dict) -> list[dict]:
    """One row per study, with ``rows``, the estimates behind it.

    A parameter carries its ``study_effects`` (one per study, its estimates
    aggregated with the model's ``rho`` as pooling did, with the study's
    weight): those are drawn. Labels that would repeat get the sample's name
    (or the study id).
    """
    rows = result.get("rows") or []
    out = []
    for s in result["study_effects"]:
        behind = [r for r in rows if r["study"] == s["study"]]
        samples = {r.get("sample") for r in behind}
        out.append({"study": s["study"], "label": s["label"], "yi": s["yi"], "vi": s["vi"],
                    "weight": s.get("weight"), "sample": samples.pop() if len(samples) == 1 else None,
                    "rows": behind or [s]})
    counts: dict[str, int] = {}
    for r in out:
        counts[r["label"]] = counts.get(r["label"], 0) + 1
    for r in out:
        r["suffix"] = f" ({len(r['rows'])})" if len(r["rows"]) > 1 else ""
        if counts[r["label"]] > 1:
            r["suffix"] = f", {r['sample'] or r['study']}" + r["suffix"]
    return out


def render(result: dict, texts: Texts, number, uid: str) -> Markup:
    """The SVG of one pooled parameter. ``number`` formats a float for the page's language."""
    log = units.is_ratio(result["measure"])
    if result["measure"] in ("MD", "GEN"):
        def number(v, d=2, _n=number):
            return _n(v, min(d, 1))

    rows = study_rows(result)
    spans = [(r["yi"] - Z * math.sqrt(r["vi"]), r["yi"] + Z * math.sqrt(r["vi"])) for r in rows]
    values = [v for span in spans for v in span] + [result["ci_low"], result["ci_high"], 0.0]
    values += [v for v in (result.get("pi_low"), result.get("pi_high")) if v is not None]
    lo, hi = max(min(values), -LIMIT if log else -math.inf), min(max(values), LIMIT if log else math.inf)
    pad = (hi - lo) * 0.04 or 0.5
    lo, hi = lo - pad, hi + pad

    def x(v: float) -> float:
        return LEFT + (min(max(v, lo), hi) - lo) / (hi - lo) * PLOT

    n = len(rows)
    pooled_y = TOP + n * ROW + ROW
    height = pooled_y + 2 * ROW + 58
    max_w = max([r.get("weight") or 0 for r in rows] + [1e-9])
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="forest" viewBox="0 0 {WIDTH} {height}" '
           f'role="img" aria-labelledby="{uid}-t {uid}-d" preserveAspectRatio="xMinYMin meet">',
           f'<title id="{uid}-t">{escape(texts.title)}</title><desc id="{uid}-d">{escape(texts.description)}</desc>',
           f'<text x="4" y="18" class="fp-head">{escape(texts.study)}</text>',
           f'<text x="{LEFT + PLOT + 10}" y="18" class="fp-head">{escape(texts.estimate)}</text>',
           f'<text x="{WIDTH - 4}" y="18" class="fp-head" text-anchor="end">{escape(texts.weight)}</text>',
           f'<line x1="{x(0):.1f}" y1="{TOP - 6}" x2="{x(0):.1f}" y2="{pooled_y + 2 * ROW}" class="fp-null"/>']
    for i, (r, (a, b)) in enumerate(zip(rows, spans)):
        y = TOP + i * ROW + ROW / 2
        size = 3 + 6 * math.sqrt(max(r.get("weight") or 0, 0) / max_w)  # CHE weights can be negative
        name = _short(r["label"], 30 - len(r["suffix"])) + r["suffix"]
        out.append(f'<g class="fp-study"><text x="4" y="{y + 4:.1f}">{escape(name)}</text>'
                   f'<line x1="{x(a):.1f}" y1="{y:.1f}" x2="{x(b):.1f}" y2="{y:.1f}" class="fp-ci"/>'
                   f'{_arrows(a, b, lo, hi, x, y)}'
                   f'<rect x="{x(r["yi"]) - size / 2:.1f}" y="{y - size / 2:.1f}" width="{size:.1f}" '
                   f'height="{size:.1f}" class="fp-box"/>'
                   f'<text x="{LEFT + PLOT + 10}" y="{y + 4:.1f}" class="fp-num">'
                   f'{escape(_fmt(r["yi"], log, number))} [{escape(_fmt(a, log, number))}, '
                   f'{escape(_fmt(b, log, number))}]</text>'
                   f'<text x="{WIDTH - 4}" y="{y + 4:.1f}" class="fp-num" text-anchor="end">'
                   f'{escape(number(r.get("weight") or 0, 1))}</text></g>')
    est, cl, ch = result["estimate"], result["ci_low"], result["ci_high"]
    y = pooled_y
    out.append(f'<line x1="{LEFT}" y1="{y - ROW / 2 - 2}" x2="{LEFT + PLOT}" y2="{y - ROW / 2 - 2}" class="fp-rule"/>')
    out.append(f'<g class="fp-pooled"><text x="4" y="{y + 4:.1f}" class="fp-strong">{escape(texts.pooled)}</text>'
               f'<polygon points="{x(cl):.1f},{y} {x(est):.1f},{y - 7} {x(ch):.1f},{y} {x(est):.1f},{y + 7}" '
               f'class="fp-diamond"/><text x="{LEFT + PLOT + 10}" y="{y + 4:.1f}" class="fp-num fp-strong">'
               f'{escape(_fmt(est, log, number))} [{escape(_fmt(cl, log, number))}, '
               f'{escape(_fmt(ch, log, number))}]</text></g>')
    if result.get("pi_low") is not None and result.get("pi_high") is not None and result.get("k", 0) >= 3:
        y2, pl, ph = y + ROW, result["pi_low"], result["pi_high"]
        out.append(f'<g class="fp-pi"><text x="4" y="{y2 + 4:.1f}">{escape(texts.prediction)}</text>'
                   f'<line x1="{x(pl):.1f}" y1="{y2}" x2="{x(ph):.1f}" y2="{y2}" class="fp-pi-line"/>'
                   f'{_arrows(pl, ph, lo, hi, x, y2)}'
                   f'<text x="{LEFT + PLOT + 10}" y="{y2 + 4:.1f}" class="fp-num">'
                   f'[{escape(_fmt(pl, log, number))}, {escape(_fmt(ph, log, number))}]</text></g>')
    out.append(_axis(log, lo, hi, x, pooled_y + 2 * ROW, texts, number))
    out.append("</svg>")
    return Markup("".join(out))


def _short(label: str, limit: int = 30) -> str:
    limit = max(limit, 8)
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _arrows(a, b, lo, hi, x, y) -> str:
    out = ""
    if a < lo:
        out += f'<polygon points="{x(lo):.1f},{y} {x(lo) + 6:.1f},{y - 4} {x(lo) + 6:.1f},{y + 4}" class="fp-arrow"/>'
    if b > hi:
        out += f'<polygon points="{x(hi):.1f},{y} {x(hi) - 6:.1f},{y - 4} {x(hi) - 6:.1f},{y + 4}" class="fp-arrow"/>'
    return out


def _axis(log, lo, hi, x, y, texts, number) -> str:
    parts = [f'<g class="fp-axis"><line x1="{LEFT}" y1="{y}" x2="{LEFT + PLOT}" y2="{y}"/>']
    for t in _ticks(log, lo, hi):
        label = number(math.exp(t), 2 if math.exp(t) < 1 else 0 if math.exp(t) >= 2 else 1) if log \
            else number(t, 0 if float(t).is_integer() else 2)
        parts.append(f'<line x1="{x(t):.1f}" y1="{y}" x2="{x(t):.1f}" y2="{y + 5}"/>'
                     f'<text x="{x(t):.1f}" y="{y + 17}" text-anchor="middle">{escape(label)}</text>')
    mid = LEFT + PLOT / 2
    parts.append(f'<text x="{mid}" y="{y + 34}" text-anchor="middle" class="fp-strong">{escape(texts.axis)}</text>')
    parts.append(f'<text x="{x(0) - 6:.1f}" y="{y + 50}" text-anchor="end" class="fp-favours">'
                 f'← {escape(texts.favours_left)}</text>'
                 f'<text x="{x(0) + 6:.1f}" y="{y + 50}" class="fp-favours">{escape(texts.favours_right)} →</text></g>')
    return "".join(parts)
