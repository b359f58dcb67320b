"""Seed one study record per programme of Taylor et al.'s review of interventions for care leavers.

``python scripts/seed_taylor_care_leavers.py`` reads ``data/sources/taylor-care-leavers/data.csv``
(152 effect sizes over eight outcome domains) and writes one record per programme
(``study``) and ``data/sources/taylor-care-leavers/SEED-REPORT.md``.

What the dataset does not say, and what the records do about it (SOURCE.md):
- The direction of effects for adverse outcomes (arrests, pregnancy, homelessness,
  public assistance, symptoms) is not documented: those rows are left out, each
  with its reason in the report. Rows kept are outcomes where more is better; each
  says that the repository documents no sign convention.
- Rows labelled ``d`` (all of exp_violence and risky_behaviour) are left out: the
  contract here is Hedges' g, and those rows are adverse outcomes as well.
- The three ICare2Check rows were typed in by hand from count-model simulations,
  without SE: left out.
- The dataset codes no intervention type; the records group the programmes by what
  their names say (extended care, transition support, supportive housing) and say so.
- ``outcome_timing`` is undocumented (time since what?): kept as text in
  ``outcome_detail``, not as a follow-up time.
``es`` and ``se`` are kept as ``yi``/``sei`` (the dataset also gives ``var``).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from seedlib import (  # noqa: E402
    ROOT,
    SOURCES_DIR,
    assign_ids,
    authors_of,
    group_rows,
    history,
    num,
    read_rows,
    report,
    write,
    year_in,
)

FOLDER = "taylor-care-leavers"
MARKER = f"data/sources/{FOLDER}/"
SCRIPT = "seed_taylor_care_leavers.py"
SOURCE = ("Taylor, D., Albers, B., Mann, G., Lewis, J., Taylor, R., Mendes, P., Macdonald, G., & Shlonsky, A."
          " Systematic review and meta-analysis of policies and interventions that improve health, psychosocial"
          " and economic outcomes for young people leaving the out-of-home care system. Supplementary material"
          " (2024), doi:10.5281/zenodo.8128712.")
DOI = "10.5281/zenodo.8128712"
REPO = "https://github.com/davetayl-r/care-leaver-review/tree/f5dcabc68dfbdc19e60363bd07a24106d7d709bc"
ORIGIN = "davetayl-r/care-leaver-review (commit f5dcabc) review/es-transformation/output/*_es_data.rds"

EDUCATION_DONE = ("High school diploma or GED", "High school diploma", "GED",
                  "Educational attainment (high school completion or one year of college or more)",
                  "Two-/four-Year Degree completion by Age 29/30")
EDUCATION_IN = ("Attended college", "College persistence", "Undertook postsecondary education",
                "Participated in vocational training", "Enrolled in post secondary institution",
                "Enrolled in 2-year college", "Enrolled in 4-year college", "College enrolment by 21",
                "College enrolment by 29/30", "Two semester college persistence")
EMPLOYED = ("Currently employed", "Employed at follow-up (12-months or more)", "Ever employed",
            "Full time employment", "Part time employment", "Any earnings, aged 18-21", "Any earnings, aged 21-23")
EARNINGS = ("Earnings is past 12 months", "Net worth", "Earnings (average)", "Wages, aged 18-21",
            "Wages, aged 21-23")
#: Outcomes where more is better, by (domain, outcome text) → outcome slug.
KEEP = {
    **{("education", o): "education-completion" for o in EDUCATION_DONE},
    **{("education", o): "education" for o in EDUCATION_IN},
    **{("employment", o): "employment" for o in EMPLOYED},
    **{("employment", o): "earnings" for o in EARNINGS},
    ("health", "Quality of Life Scale"): "wellbeing-quality-of-life",
    ("health", "Overall wellbeing"): "wellbeing-quality-of-life",
    ("Homelessness", "Stable housing"): "stable-housing",
}
KEEP_DOMAINS = {"life_skills": "independent-living-skills", "relationships": "social-support"}
INTERVENTIONS = {
    "Extended foster care in Washington": "extended-care",
    "Extended care in Illinois (Midwest Evaluation of the Adult Functioning of Former Foster Youth)": "extended-care",
    "New York City/New York State-Initiated Third Supportive Housing Program (NYNY III)":
        "supportive-housing-care-leavers",
}
#: Ids for programmes with several reports (the others are named by their report's first author and year).
SHORT_IDS = {"Extended foster care in Washington": "extended-foster-care-washington",
             "Extended care in Illinois (Midwest Evaluation of the Adult Functioning of Former Foster Youth)":
                 "extended-care-illinois-midwest-evaluation"}
SIGN = "The repository documents no sign convention; this outcome is one where more is better."


def outcome_of(row: dict) -> str | None:
    return KEEP.get((row["outcome_domain"], row["outcome"])) or KEEP_DOMAINS.get(row["outcome_domain"])


def left_out(row: dict) -> str | None:
    """Why a row is left out, or None if it is kept."""
    if row["study"] == "ICare2Check":
        return "typed into the script by hand from count-model simulations, with no SE or variance (SOURCE.md)"
    if row["measure"] != "g":
        return (f"measure '{row['measure']}': SOURCE.md says to treat these rows as Cohen's d (the scripts request g),"
                " not the Hedges' g these records hold")
    if outcome_of(row) is None:
        return ("an adverse or two-sided outcome (more is not plainly better) whose sign convention the dataset"
                " does not document (SOURCE.md)")
    return None


def intervention(study: str) -> str:
    return INTERVENTIONS.get(study, "transition-support-care-leavers")


def effect(row: dict, several_reports: bool) -> dict:
    report = f" Report: {row['author']}." if several_reports else ""
    return {
        "id": f"row-{row['_row']}",
        "intervention": intervention(row["study"]),
        "comparison": "control",
        "target_group": "care-leavers",
        "outcome": outcome_of(row),
        "outcome_detail": f"{row['outcome']} ({row['outcome_domain']}; timing '{row['outcome_timing']}')",
        "form": "effect",
        "measure": "SMD",
        "data": {"yi": num(row["es"]), "sei": num(row["se"])},
        "location": f"data/sources/{FOLDER}/data.csv row {row['_row']}",
        "notes": f"Hedges' g with its standard error (the dataset also gives var and a 95% CI). {SIGN}{report}",
    }


def record(study: str, rows: list[dict]) -> dict:
    reports = list(dict.fromkeys(r["author"] for r in rows))
    citation = {"label": study, "publication_type": "other"}
    if len(reports) == 1:
        authors, et_al = authors_of(reports[0])
        citation.update({"authors": authors, "et_al": et_al})
        year = year_in(reports[0])
        if year:
            citation["year"] = year
    sizes = [num(r["sample.size"]) for r in rows]
    largest = max(sizes)
    return {
        "citation": citation,
        "provenance": {
            "source": SOURCE,
            "source_doi": DOI,
            "source_url": REPO,
            "extraction": "secondary",
            "location": f"{ORIGIN}, as data/sources/{FOLDER}/data.csv rows {', '.join(str(r['_row']) for r in rows)}"
                        f" (study '{study}')",
            "descriptors": {"study": study, "reports": reports},
            "history": history(SCRIPT, FOLDER),
        },
        "design": {k: v for k, v in {
            "type": "controlled-study",
            "sample_size": largest if isinstance(largest, int) else None,
            "quality_notes": "The dataset does not record how the programme and comparison groups were formed."
                             " Sample size: the largest sample.size among the rows kept.",
        }.items() if v is not None},
        "effects": [effect(r, len(reports) > 1) for r in rows],
    }


def main(studies_dir: Path = ROOT / "data" / "studies") -> None:
    rows = read_rows(SOURCES_DIR / FOLDER / "data.csv")
    kept, dropped = [], []
    for row in rows:
        reason = left_out(row)
        (dropped if reason else kept).append((row, reason))
    by_study = group_rows([row for row, _ in kept], lambda r: r["study"])
    records = []
    for study, study_rows in by_study.items():
        rec = record(study, study_rows)
        c = rec["citation"]
        records.append((SHORT_IDS[study] if study in SHORT_IDS else f"{c['authors'][0]} {c.get('year', '')}", rec))
    files = assign_ids(studies_dir, MARKER, records)
    effects = sum(len(r["effects"]) for _, r in records)
    reasons = Counter(reason for _, reason in dropped)
    text = report(FOLDER, SCRIPT, [
        f"- Rows read: {len(rows)}; rows kept: {len(kept)}; programmes with rows kept: {len(by_study)};"
        f" records written: {len(files)}; effects written: {effects}.",
        f"- Rows left out: {len(dropped)}, by reason:",
        *[f"  - {n} rows: {reason}" for reason, n in reasons.most_common()],
        "- Interventions: the dataset codes no intervention type. The records group programmes by what their"
        " names say: `extended-care` (extended foster care in Washington and Illinois),"
        " `supportive-housing-care-leavers`"
        " (NYNY III), `transition-support-care-leavers` (the other programmes).",
        "",
        "## Rows left out",
        "",
        "| row | study | outcome | reason |",
        "|---|---|---|---|",
        *[f"| {r['_row']} | {r['study']} | {r['outcome']} | {reason} |" for r, reason in dropped],
    ])
    write(studies_dir, FOLDER, files, text)


if __name__ == "__main__":
    main()
