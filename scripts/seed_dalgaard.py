"""Seed one study record per study of Dalgaard et al. (2025), group-based community interventions.

``python scripts/seed_dalgaard.py`` reads ``data/sources/dalgaard-group-based/data.csv``
(one row per effect size; the review's own table ``gb_dat``) and writes one record
per ``study`` label and ``data/sources/dalgaard-group-based/SEED-REPORT.md``.

As the review analyses them (SOURCE.md, "Effect size"): ``gt_pop`` with its
sampling variance ``vgt_pop`` — Hedges' g adjusted for clustering and small
samples, pretest/covariate-adjusted where possible — kept as ``yi``/``vi``.
Positive values favour the intervention (the review's effect-size code reverses
scales where a lower score is better), so the outcome terms are worded as
improvements. The review pools every time point of a study together with a
correlated-and-hierarchical model; the records keep each row as its own effect
(id ``es-<esid>``), with the time point in ``outcome_detail``.
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
    descriptors,
    group_rows,
    history,
    num,
    read_rows,
    report,
    write,
)

FOLDER = "dalgaard-group-based"
MARKER = f"data/sources/{FOLDER}/"
SCRIPT = "seed_dalgaard.py"
SOURCE = ("Dalgaard, N. T., Jensen, J. K., Adada, J. S., Flensborg Jensen, M. C., Bengtsen, E., & Vembye, M. H."
          " (2025). Group-based community interventions to support the social reintegration of marginalized"
          " adults with mental illness: A systematic review and meta-analysis. Campbell Systematic Reviews."
          " (The repository gives no DOI for the review; protocol: doi:10.1002/cl2.1254.)")
REPO = "https://github.com/MikkelVembye/Group-based-interventions/tree/07b5f4c58b7ce7104a828611b597c4d7189434ee"
ORIGIN = "MikkelVembye/Group-based-interventions (commit 07b5f4c) Data/gb_dat.rds"

INTERVENTIONS = {
    "group-based CBT": "group-cbt",
    "illness management": "illness-management",
    "group psychoeducation": "group-psychoeducation",
    "seeking safety": "seeking-safety",
    "social cognition and interaction training": "social-cognition-interaction-training",
    "positive psychology group intervention": "positive-psychology-group",
    "addiction management": "addiction-management",
    "cognitive-behavioral social skills training": "cognitive-behavioural-social-skills-training",
    "group psychotherapy": "group-psychotherapy",
    "illness and addiction management": "illness-and-addiction-management",
    "vocational training": "group-vocational-training",
    "social network training": "social-network-training",
    "residential treatment": "group-residential-treatment",
    "art therapy": "group-art-therapy",
    "stress management": "group-stress-management",
    "reading group intervention": "reading-groups",
    "group psychoeducation & social skill training": "group-psychoeducation-social-skills",
}
COMPARISONS = {"TAU": "usual-practice", "TAU with Waiting-list": "waiting-list-with-usual-practice",
               "Waiting-list only": "waiting-list", "Individual treatment": "individual-treatment"}
OUTCOMES = {
    "General mental health": "better-mental-health",
    "Wellbeing and quality of life": "wellbeing-quality-of-life",
    "Social functioning (degree of impairment)": "social-functioning",
    "Depression": "fewer-depressive-symptoms",
    "Hope, empowerment & self-efficacy": "hope-empowerment-self-efficacy",
    "Alcohol and drug abuse/misuse": "less-substance-misuse",
    "Symptoms of psychosis": "fewer-psychotic-symptoms",
    "Anxiety": "fewer-anxiety-symptoms",
    "Self-esteem": "self-esteem",
    "Loneliness": "less-loneliness",
    "Physical health": "physical-health",
    "Employment": "employment",
    "Psychiatric hospitalization": "fewer-psychiatric-admissions",
}
DESIGNS = {"RCT": "rct", "CRCT": "cluster-rct", "QES": "quasi-experimental"}
ROB2 = {"Low": "low", "Some concerns": "some-concerns", "High": "high"}
COUNTRIES = {"US": "United States", "UK": "United Kingdom", "Corea": "Korea"}
DESCRIPTORS = ("studyid", "eppi_id", "cnt", "setting", "disorder_type", "sample_comp", "sample_factors", "design",
               "randomization", "cluster_treatment", "analysis_strategy", "trt_name", "trt_type", "trt_group",
               "avg_group_size", "duration_in_weeks", "sessions_per_week", "facilitators", "control", "rob_tool",
               "Overall")
NOTE = ("Cluster- and small-sample-adjusted Hedges' g (gt_pop) with its sampling variance (vgt_pop), as in the"
        " review's main analysis; positive values favour the intervention (the review reverses scales where a"
        " lower score is better).")


def design(rows: list[dict]) -> dict:
    first = rows[0]
    kinds = {r["design"] for r in rows}
    if len(kinds) != 1:
        raise ValueError(f"{first['study']}: design differs between rows: {sorted(kinds)}")
    overall = sorted({(r["rob_tool"], r["Overall"]) for r in rows})
    tool, judgement = overall[0]
    rob = ROB2.get(judgement, "unclear") if len(overall) == 1 and tool == "RoB2" else "unclear"
    why = ("" if rob != "unclear" else
           " The overall judgement differs between outcomes, so it is not summarised here." if len(overall) > 1 else
           " ROBINS-I judgements are not mapped onto this record's risk-of-bias scale.")
    largest = max(num(r["N_total"]) for r in rows)
    out = {
        "type": DESIGNS[first["design"]],
        "country": COUNTRIES.get(first["cnt"], first["cnt"]),
        "sample_size": largest if isinstance(largest, int) else None,
        "risk_of_bias": rob,
        "quality_notes": f"Design coded '{first['design']}' by Dalgaard et al. (2025); overall risk of bias "
                         + "; ".join(f"{t} '{j}'" for t, j in overall) + "." + why
                         + " Sample size: the largest N_total among the study's rows.",
    }
    return {k: v for k, v in out.items() if v is not None}


def effect(row: dict, multi_arm: bool) -> dict:
    when = row["measure_type"] + (f", {row['timing']}" if row["timing"] else "")
    test = "" if row["test_name"] in ("", "None") else f"; {row['test_name']}"
    notes = NOTE + (f" Treatment arm: {row['trt_name']} (one of two arms compared with one control group)."
                    if multi_arm else "")
    return {
        "id": f"es-{row['esid']}",
        "intervention": INTERVENTIONS[row["trt_group"]],
        "comparison": COMPARISONS[row["control"]],
        "target_group": "marginalised-adults-mental-illness",
        "outcome": OUTCOMES[row["analysis_plan"]],
        "outcome_detail": f"{row['outcome']} ({row['analysis_plan']}{test}), {when}",
        "form": "effect",
        "measure": "SMD",
        "data": {"yi": num(row["gt_pop"]), "vi": num(row["vgt_pop"])},
        "location": f"data/sources/{FOLDER}/data.csv row {row['_row']} (esid {row['esid']})",
        "notes": notes,
    }


def record(rows: list[dict]) -> dict:
    first = rows[0]
    authors, et_al = authors_of(first["authors"])
    multi_arm = len({r["trt_id"] for r in rows}) > 1
    return {
        "citation": {"authors": authors, "et_al": et_al, "year": num(first["year"]),
                     "publication_type": "journal-article"},
        "provenance": {
            "source": SOURCE,
            "source_url": REPO,
            "extraction": "secondary",
            "location": f"{ORIGIN}, as data/sources/{FOLDER}/data.csv rows "
                        f"{', '.join(str(r['_row']) for r in rows)} (study '{first['study']}')",
            "descriptors": descriptors(rows, DESCRIPTORS),
            "history": history(SCRIPT, FOLDER),
        },
        "design": design(rows),
        "effects": [effect(r, multi_arm) for r in rows],
    }


def main(studies_dir: Path = ROOT / "data" / "studies") -> None:
    rows = read_rows(SOURCES_DIR / FOLDER / "data.csv")
    by_study = group_rows(rows, lambda r: r["study"])
    records = []
    for study_rows in by_study.values():
        rec = record(study_rows)
        records.append((f"{rec['citation']['authors'][0]} {rec['citation']['year']}", rec))
    files = assign_ids(studies_dir, MARKER, records)
    effects = sum(len(r["effects"]) for _, r in records)
    text = report(FOLDER, SCRIPT, [
        f"- Rows read from data.csv: {len(rows)}; studies (`study`): {len(by_study)}; records written: {len(files)};"
        f" effects written: {effects}.",
        "- Rows left out: 0. The two analysis tables (reint_ma_dat.csv, mental_ma_dat.csv) are the same rows with"
        " mean-imputed covariates and renumbered esid (SOURCE.md); the records read data.csv only.",
        "- Effect size: gt_pop / vgt_pop (the review's main analysis); positive favours the intervention.",
        "- Interventions (trt_group) and outcomes (analysis_plan), rows per term:",
        *[f"  - `{INTERVENTIONS[k]}` ← '{k}': {n}" for k, n in Counter(r["trt_group"] for r in rows).most_common()],
        *[f"  - `{OUTCOMES[k]}` ← '{k}': {n}" for k, n in Counter(r["analysis_plan"] for r in rows).most_common()],
    ])
    write(studies_dir, FOLDER, files, text)


if __name__ == "__main__":
    main()
