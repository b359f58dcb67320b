"""The business case's chart: yearly net result with its 95 % band, as SVG drawn on the server.

One bar per year (the closed-form net result at the pooled estimate) and,
over it, the 95 % Monte Carlo interval as a whisker; a zero line; the axis in
kroner. Like the forest plots, every text goes through ``escape`` and the
look comes from classes and presentation attributes, so the strict CSP holds
(no inline style or script).
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from .forest import nice_linear

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 96, 16, 28, 52


@dataclass
class Texts:
    title: str
    description: str
    year: str
    axis: str
    legend_bar: str
    legend_band: str


def render(years: list[dict], key: str, texts: Texts, number, uid: str) -> Markup:
    """SVG of ``years[i]["net"][key]`` (estimate with low–high) for each year; ``number`` formats kroner."""
    values = [(row["year"], row["net"][key]) for row in years]
    lo = min([0.0] + [v["low"] for _, v in values] + [v["estimate"] for _, v in values])
    hi = max([0.0] + [v["high"] for _, v in values] + [v["estimate"] for _, v in values])
    if hi == lo:
        hi = lo + 1.0
    pad = (hi - lo) * 0.05
    lo, hi = lo - (pad if lo < 0 else 0), hi + pad
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(v: float) -> float:
        return TOP + (hi - v) / (hi - lo) * plot_h

    slot = plot_w / max(1, len(values))
    bar = min(48.0, slot * 0.6)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="netchart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
           f'aria-labelledby="{uid}-t {uid}-d" preserveAspectRatio="xMinYMin meet">',
           f'<title id="{uid}-t">{escape(texts.title)}</title><desc id="{uid}-d">{escape(texts.description)}</desc>']
    for t in nice_linear(lo, hi):
        out.append(f'<line x1="{LEFT}" y1="{y(t):.1f}" x2="{WIDTH - RIGHT}" y2="{y(t):.1f}" class="nc-grid"/>'
                   f'<text x="{LEFT - 6}" y="{y(t) + 4:.1f}" text-anchor="end" class="nc-num">'
                   f'{escape(number(t))}</text>')
    for i, (year, v) in enumerate(values):
        cx = LEFT + slot * (i + 0.5)
        top, bottom = sorted((y(v["estimate"]), y(0.0)))
        kind = "nc-gain" if v["estimate"] >= 0 else "nc-loss"
        out.append(f'<g class="nc-year"><rect x="{cx - bar / 2:.1f}" y="{top:.1f}" width="{bar:.1f}" '
                   f'height="{max(bottom - top, 0.5):.1f}" class="{kind}"/>'
                   f'<line x1="{cx:.1f}" y1="{y(v["low"]):.1f}" x2="{cx:.1f}" y2="{y(v["high"]):.1f}" class="nc-band"/>'
                   f'<line x1="{cx - 6:.1f}" y1="{y(v["low"]):.1f}" x2="{cx + 6:.1f}" y2="{y(v["low"]):.1f}" '
                   f'class="nc-band"/><line x1="{cx - 6:.1f}" y1="{y(v["high"]):.1f}" x2="{cx + 6:.1f}" '
                   f'y2="{y(v["high"]):.1f}" class="nc-band"/>'
                   f'<text x="{cx:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{escape(str(year))}</text></g>')
    out.append(f'<line x1="{LEFT}" y1="{y(0.0):.1f}" x2="{WIDTH - RIGHT}" y2="{y(0.0):.1f}" class="nc-zero"/>')
    out.append(f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - BOTTOM + 34}" text-anchor="middle" '
               f'class="nc-strong">{escape(texts.year)}</text>')
    out.append(f'<text x="14" y="{TOP + plot_h / 2:.1f}" text-anchor="middle" class="nc-strong" '
               f'transform="rotate(-90 14 {TOP + plot_h / 2:.1f})">{escape(texts.axis)}</text>')
    out.append(f'<g class="nc-legend"><rect x="{LEFT}" y="8" width="10" height="10" class="nc-gain"/>'
               f'<text x="{LEFT + 14}" y="17">{escape(texts.legend_bar)}</text>'
               f'<line x1="{LEFT + 260}" y1="8" x2="{LEFT + 260}" y2="18" class="nc-band"/>'
               f'<text x="{LEFT + 266}" y="17">{escape(texts.legend_band)}</text></g>')
    out.append("</svg>")
    return Markup("".join(out))
