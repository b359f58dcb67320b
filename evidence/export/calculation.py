"""The workbook's first sheet, "Til beregning": one row per intervention × target group × outcome.

A business-case calculator needs one effect per intervention, group and
outcome, in natural units, not the full table (where a binary outcome appears
three times, as RR, OR and RD, and once per follow-up window). The row's
parameter is chosen as the pages choose a headline: the measure calculators
use (binary: RR, then OR, then RD; continuous: MD, then SMD, then ROM), then
the most studies, then the earliest follow-up window. The full table stays on
the ``parameters`` sheet; ``Andre resultater`` counts what this row leaves out.
"""

from __future__ import annotations

from collections.abc import Iterator

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from ..records.followup import WINDOWS

SHEET = "Til beregning"
MEASURE_ORDER = {"RR": 0, "OR": 1, "RD": 2, "MD": 3, "SMD": 4, "ROM": 5, "GEN": 6, "PR": 7}
FOLLOWUP_ORDER = {slug: i for i, (slug, _da, _en) in enumerate(WINDOWS)}
RATIO, DECIMAL, PERCENT, POINTS, WHOLE = "0.00", "0.000", "0.0%", "0.0", "0"
UNITS = {"RR": "risikoratio", "OR": "oddsratio", "RD": "procentpoint", "MD": "udfaldets egne enheder",
         "SMD": "standardafvigelser (SD)", "ROM": "ratio af gennemsnit", "GEN": "effektstørrelse",
         "PR": "andel"}
#: (header, width, number format, value of a parameter)
COLUMNS = [
    ("Indsats", 34, None, lambda p: p["intervention_label_da"] or p["intervention"]),
    ("Målgruppe", 30, None, lambda p: p["target_group_label_da"] or p["target_group"]),
    ("Udfald", 28, None, lambda p: p["outcome_label_da"] or p["outcome"]),
    ("Sammenlignet med", 20, None, lambda p: p["comparison_label_da"] or p["comparison"]),
    ("Opfølgning", 14, None, lambda p: p["followup_label_da"] or p["followup"]),
    ("Effektmål", 10, None, lambda p: p["measure"]),
    ("Enhed", 22, None, lambda p: UNITS.get(p["measure"], p["measure"])),
    ("Effekt", 10, "measure", lambda p: _natural(p, "estimate")),
    ("95 % KI, nedre", 12, "measure", lambda p: _natural(p, "ci_low")),
    ("95 % KI, øvre", 12, "measure", lambda p: _natural(p, "ci_high")),
    ("Prædiktionsinterval, nedre", 14, "measure", lambda p: _natural(p, "pi_low")),
    ("Prædiktionsinterval, øvre", 14, "measure", lambda p: _natural(p, "pi_high")),
    ("Risiko uden indsats", 12, PERCENT, lambda p: p["control_risk"]),
    ("Risiko med indsats", 12, PERCENT, lambda p: p["treated_risk"]),
    ("Ændring, procentpoint", 12, POINTS, lambda p: p["risk_difference_pp"]),
    ("Ændring, KI nedre (pp)", 12, POINTS, lambda p: p["risk_difference_pp_ci_low"]),
    ("Ændring, KI øvre (pp)", 12, POINTS, lambda p: p["risk_difference_pp_ci_high"]),
    ("Retning", 12, None, lambda p: {"benefit": "gavnlig", "harm": "skadelig", "unclear": "uklar"}.get(
        p["direction"], p["direction"])),
    ("Hængelåse (0–5)", 10, WHOLE, lambda p: p["strength"]),
    ("Evidensniveau (1–3)", 10, WHOLE, lambda p: p["evidence_level"]),
    ("Studier", 8, WHOLE, lambda p: p["k"]),
    ("Deltagere", 10, "#,##0", lambda p: p["n_participants"]),
    ("I² (%)", 8, POINTS, lambda p: p["i2"]),
    ("Andre resultater", 10, WHOLE, None),  # filled per row: parameters of this triple not shown here
    ("Parameter-id", 60, None, lambda p: p["id"]),
]


def _natural(p: dict, name: str):
    """A value in the measure's natural units: ratios as ratios, RD in percentage points."""
    value = p.get(name)
    if value is None:
        return None
    if p["measure"] in ("RR", "OR", "ROM"):
        return p.get(f"{name}_natural")
    if p["measure"] == "RD":
        return 100 * value
    return value


def _format(measure: str) -> str:
    return RATIO if measure in ("RR", "OR", "ROM") else POINTS if measure in ("RD", "MD") else DECIMAL


def _rank(p: dict) -> tuple:
    """The headline order: the measure calculators use, then the most studies, the earliest window, the id."""
    return (MEASURE_ORDER.get(p["measure"], 9), -p["k"], FOLLOWUP_ORDER.get(p["followup"], 9), p["id"])


def chosen(parameters: list[dict]) -> list[tuple[dict, int]]:
    """(the parameter shown, how many others share its intervention × target group × outcome), in order."""
    groups: dict[tuple, list[dict]] = {}
    for p in parameters:
        groups.setdefault((p["intervention"], p["target_group"], p["outcome"]), []).append(p)
    out = []
    for key in sorted(groups):
        found = groups[key]
        out.append((min(found, key=_rank), len(found) - 1))
    return out


class Sheet:
    """The sheet's rows gathered one parameter at a time: per triple only the best so far and a count,
    so the export never holds every parameter (the rows come out in triple order at the end)."""

    def __init__(self):
        self.best: dict[tuple, list] = {}  # triple -> [rank, row values, parameters seen]

    def add(self, p: dict) -> None:
        key = (p["intervention"], p["target_group"], p["outcome"])
        rank = _rank(p)
        found = self.best.get(key)
        if found is None:
            self.best[key] = [rank, _values(p), 1]
            return
        found[2] += 1
        if rank < found[0]:
            found[0], found[1] = rank, _values(p)

    def rows(self) -> Iterator[tuple[list, int]]:
        """(the shown parameter's values with its measure, how many others), in triple order."""
        for key in sorted(self.best):
            _rank_, values, seen = self.best[key]
            yield values, seen - 1


def _values(p: dict) -> tuple[str, list]:
    """The parameter's measure (for its number format) and its cells, "Andre resultater" left empty."""
    return p["measure"], [None if c[3] is None else c[3](p) for c in COLUMNS]


def write(ws, sheet: Sheet) -> None:
    """Fill ``ws``, a write-only sheet (formats, widths and frozen panes before the first row)."""
    for i, (_header, width, _fmt, _value) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "B2"
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    ws.append([_styled(ws, c[0], font=bold, alignment=wrap) for c in COLUMNS])
    count = 0
    for (measure, values), others in sheet.rows():
        cells = []
        for (_header, _width, fmt, value), cell in zip(COLUMNS, values, strict=True):
            cell = others if value is None else cell
            if fmt is None:
                cells.append(cell)
            else:
                cells.append(_styled(ws, cell, number_format=_format(measure) if fmt == "measure" else fmt))
        ws.append(cells)
        count += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{count + 1}"


def _styled(ws, value, **style) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value)
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell
