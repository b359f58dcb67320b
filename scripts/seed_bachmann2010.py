"""Seed one study record per trial of Bachmann et al. (2010), inpatient rehabilitation for older patients.

``python scripts/seed_bachmann2010.py`` reads ``data/sources/bachmann2010-geriatric-rehab/data.csv``
(metadat ``dat.bachmann2010``: 17 trials × 3 outcomes × 2 times) and writes one
record per trial and ``SEED-REPORT.md`` there.

The figures are kept as the dataset has them (Rd \\details): functional status as
the odds ratio "for functional improvement" with its 95% CI (``estimate``,
``ci_low``, ``ci_high``); admission to a nursing home and mortality as 2×2 counts
(``ai``, ``n1i``, ``ci``, ``n2i``). Rows where the trial did not report the outcome
hold no figures and are left out. The dataset gives no follow-up time for the
``followup`` assessments: those effects are kept but not pooled (they cannot be
placed in a follow-up window beside the at-discharge estimates).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from seedlib import ROOT, SOURCES_DIR, assign_ids, descriptors, group_rows, history, num, read_rows, report, write  # noqa: E402

FOLDER = "bachmann2010-geriatric-rehab"
MARKER = f"data/sources/{FOLDER}/"
SCRIPT = "seed_bachmann2010.py"
SOURCE = ("Bachmann, S., Finger, C., Huss, A., Egger, M., Stuck, A. E., & Clough-Gorr, K. M. (2010). Inpatient"
          " rehabilitation specifically designed for geriatric patients: Systematic review and meta-analysis of"
          " randomised controlled trials. BMJ, 340, c1718.")
DOI = "10.1136/bmj.c1718"
REPO = "https://github.com/wviechtb/metadat/tree/0cb96ce4ff16586a9dbc8a9b0f9bc617538d2738"
ORIGIN = "metadat (commit 0cb96ce) data/dat.bachmann2010.rda"
OUTCOMES = {"function": "functional-improvement", "admission": "nursing-home-admission", "mortality": "mortality"}
DETAILS = {"function": "functional improvement", "admission": "admission to a nursing home", "mortality": "death"}
TIMES = {"discharge": "at discharge", "followup": "at follow-up"}
COUNTRIES = {"USA": "United States", "UK": "United Kingdom"}
DESCRIPTORS = ("rehabtype", "lohs1", "lohs2", "mage", "nti", "nci", "multidim", "assign", "meetings", "fup", "conc",
               "blind", "itt")


def figures(row: dict) -> tuple[str, str, dict] | None:
    """(form, measure, data) as the dataset has them, or None when the row holds no figures."""
    if row["outcome"] == "function":
        if not row["or"]:
            return None
        return "effect", "OR", {"estimate": num(row["or"]), "ci_low": num(row["lb"]), "ci_high": num(row["ub"])}
    if not row["ai"]:
        return None
    return "counts", "RR", {k: num(row[k]) for k in ("ai", "n1i", "ci", "n2i")}


def effect(row: dict) -> dict:
    form, measure, data = figures(row)
    out = {
        "id": f"{row['outcome']}-{row['time']}",
        "intervention": "geriatric-inpatient-rehabilitation",
        "comparison": "control",
        "target_group": "geriatric-patients",
        "outcome": OUTCOMES[row["outcome"]],
        "outcome_detail": f"{DETAILS[row['outcome']]}, {TIMES[row['time']]}",
        "form": form,
        "measure": measure,
        "data": data,
        "location": f"data/sources/{FOLDER}/data.csv row {row['_row']}",
    }
    if form == "effect":
        out["notes"] = "Odds ratio for functional improvement with its 95% CI, as the dataset gives it."
    if row["time"] == "followup":
        out["poolable"] = False
        out["not_poolable_reason"] = ("Follow-up estimate: the dataset gives no follow-up time, so it cannot be"
                                      " placed in a follow-up window beside the at-discharge estimates.")
    return out


def record(rows: list[dict]) -> dict:
    first = rows[0]
    kept = [r for r in rows if figures(r) is not None]
    return {
        "citation": {"authors": [first["author"]], "year": num(first["year"]), "publication_type": "journal-article"},
        "provenance": {
            "source": SOURCE,
            "source_doi": DOI,
            "source_url": REPO,
            "extraction": "secondary",
            "location": f"{ORIGIN}, as data/sources/{FOLDER}/data.csv rows {', '.join(str(r['_row']) for r in kept)}"
                        f" ('{first['author']}', {first['year']})",
            "descriptors": descriptors([first], DESCRIPTORS),
            "history": history(SCRIPT, FOLDER),
        },
        "design": {
            "type": "rct",
            "country": COUNTRIES.get(first["country"], first["country"]),
            "sample_size": num(first["nti"]) + num(first["nci"]),
            "quality_notes": "A trial in a review of randomised controlled trials only. Allocation concealment"
                             f" '{first['conc']}', blinded outcome assessor '{first['blind']}', intention-to-treat"
                             f" '{first['itt']}' (Bachmann et al. 2010). Sample size: nti + nci.",
        },
        "effects": [effect(r) for r in kept],
    }


def main(studies_dir: Path = ROOT / "data" / "studies") -> None:
    rows = read_rows(SOURCES_DIR / FOLDER / "data.csv")
    by_trial = group_rows(rows, lambda r: (r["author"], r["year"]))
    records = [(f"{author} {year}", record(trial_rows)) for (author, year), trial_rows in by_trial.items()]
    files = assign_ids(studies_dir, MARKER, records)
    empty = [r for r in rows if figures(r) is None]
    effects = sum(len(r["effects"]) for _, r in records)
    text = report(FOLDER, SCRIPT, [
        f"- Rows read: {len(rows)}; trials: {len(by_trial)}; records written: {len(files)}; "
        f"effects written: {effects}.",
        f"- Rows left out: {len(empty)}, all because the trial did not report that outcome at that time (the row"
        " holds no odds ratio and no counts):",
        *[f"  - {o} at {t}: {n} rows"
          for (o, t), n in sorted(Counter((r["outcome"], r["time"]) for r in empty).items())],
        "- Follow-up effects are kept but not pooled: the dataset gives no follow-up time.",
        "- Functional status: odds ratio for functional improvement with its 95% CI, as stored (no SE in the"
        " dataset; the knowledge base derives it from the CI, as the Rd example does with conv.wald()).",
        "- Nursing-home admission and mortality: 2×2 counts (ai, n1i, ci, n2i), pooled as risk ratios as in the Rd"
        " example.",
    ])
    write(studies_dir, FOLDER, files, text)


if __name__ == "__main__":
    main()
