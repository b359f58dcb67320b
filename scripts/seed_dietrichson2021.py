"""Seed one study record per study of Dietrichson et al. (2021), Grades K–6.

``python scripts/seed_dietrichson2021.py`` reads ``data/sources/dietrichson2021-k6/data.csv``
(one row per effect size) and writes ``data/studies/<id>.yaml``, one record per
``Study_ID``, and ``data/sources/dietrichson2021-k6/SEED-REPORT.md``.

What the dataset says and does not say (SOURCE.md), and what the records do about it:
- ``Effectsize_g``/``SE_g`` are Hedges' g and its standard error, not adjusted for
  clustering (documented): kept as ``yi``/``sei``. The ``_adj1``/``_adj3`` versions are
  undocumented and not used.
- The sign convention is not stated: every effect says so in its notes.
- The instruction-method columns (``CAI`` … ``Small_group``) are undocumented; their
  names are the review's component categories, and the interventions follow them,
  saying in the record that the reading rests on the column names.
- ``Post``/``Follow_up`` tell post-test from follow-up rows, but no follow-up time is
  given: follow-up rows are kept, marked not poolable (they cannot be placed in a
  follow-up window and would otherwise be pooled with the post-test estimates).
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

FOLDER = "dietrichson2021-k6"
MARKER = f"data/sources/{FOLDER}/"
SCRIPT = "seed_dietrichson2021.py"
SOURCE = ("Dietrichson, J., Filges, T., Seerup, J. K., Klokker, R. H., Viinholt, B. C. A., Bøg, M., & Eiberg, M."
          " (2021). Targeted school-based interventions for improving reading and mathematics for students with"
          " or at risk of academic difficulties in Grades K-6: A systematic review. Campbell Systematic Reviews,"
          " 17(2), e1152.")
DOI = "10.1002/cl2.1152"
REPO = "https://github.com/MikkelVembye/VIVECampbell/tree/b441d967cafb2de91d014831f6f79cab50837708"
ORIGIN = "VIVECampbell (commit b441d96) data/Dietrichson2021_data.RData"

#: The review's instruction-method components, in the dataset's column order: (vocabulary slug, short name).
COMPONENTS = {
    "CAI": ("computer-assisted-instruction", "cai"),
    "Coaching_personnel": ("coaching-of-personnel", "coaching"),
    "Incentives": ("incentives", "incentives"),
    "Medium_group": ("medium-group-instruction", "medium-group"),
    "Other_method": ("other-instruction-method", "other-method"),
    "Peer_assisted": ("peer-assisted-learning", "peer-assisted"),
    "Progress_monitoring": ("progress-monitoring", "progress-monitoring"),
    "Small_group": ("small-group-instruction", "small-group"),
}
OUTCOMES = {"Reading": "reading-achievement", "Math": "mathematics-achievement", "Composite": "academic-achievement"}
CLUSTER_LEVELS = {"Classroom", "Classrooms", "School", "Teachers/Classrooms", "Classroom/Teacher", "Classroom/teacher",
                  "Teacher", "grade by school"}
STUDY_DESCRIPTORS = ("Study_ID", "Outlet", "Country", "Language", "Publishing_status", "RCT_QES",
                     "Level_treatment_assignment", "Name", "Grade_mean", "Duration", "Sessions", "Hours_week",
                     "School_staff")
COUNTRIES = {"USA": "United States", "UK": "United Kingdom"}  # as the other records name them
SIGN = "The dataset does not state the sign convention of Effectsize_g."


def intervention(row: dict) -> str:
    """The vocabulary slug of the row's instruction-method component, or of its combination of components."""
    parts = [names for column, names in COMPONENTS.items() if row[column] == "1.0"]
    if not parts:
        raise ValueError(f"row {row['_row']}: no instruction-method component is coded")
    return parts[0][0] if len(parts) == 1 else "combined-" + "-".join(short for _, short in parts)


def design(rows: list[dict]) -> dict:
    kinds = {r["RCT_QES"] for r in rows}
    levels = sorted({r["Level_treatment_assignment"] for r in rows})
    if len(kinds) != 1:
        raise ValueError(f"Study_ID {rows[0]['Study_ID']}: RCT_QES differs between rows: {sorted(kinds)}")
    kind = kinds.pop()
    if kind == "RCT":
        cluster = all(level in CLUSTER_LEVELS for level in levels)
        dtype = "cluster-rct" if cluster else "rct"
    else:  # QES, and QRCT (quasi-randomised): the review's non-randomised categories
        dtype = "quasi-experimental"
    largest = max(num(r["N_total"]) for r in rows)
    whole = isinstance(largest, int)
    return {
        "type": dtype,
        "country": (COUNTRIES.get(rows[0]["Country"], rows[0]["Country"]) if len({r["Country"] for r in rows}) == 1
                    else None),
        "sample_size": largest if whole else None,
        "quality_notes": f"Coded '{kind}' with treatment assigned at the level {' / '.join(repr(x) for x in levels)}"
                         " by Dietrichson et al. (2021). "
                         + ("Sample size: the largest N_total among the study's rows." if whole else
                            f"The largest N_total among the study's rows, {largest}, is not a whole number"
                            " (the dataset does not say why), so no sample size is given."),
    }


def study_descriptors(rows: list[dict]) -> dict:
    out = descriptors(rows, STUDY_DESCRIPTORS, as_text=("Study_ID", "Name"))
    reports = list(dict.fromkeys(f"{r['Authors']}: {r['Title']}" for r in rows))
    if len(reports) > 1:
        out["reports"] = reports
    return out


def effect(row: dict, several_reports: bool) -> dict:
    post = row["Post"] == "1.0"
    timing = "post-test" if post else "follow-up"
    notes = [SIGN, "Hedges' g not adjusted for clustering, as the dataset documents it.",
             f"Components from the dataset's undocumented indicator columns, read by their names: "
             f"{', '.join(c for c in COMPONENTS if row[c] == '1.0')}."]
    if several_reports:
        notes.append(f"Report: {row['Authors']}.")
    out = {
        "id": f"row-{row['_row']}",
        "intervention": intervention(row),
        "comparison": "control",
        "target_group": "pupils-academic-difficulties",
        "outcome": OUTCOMES[row["Test_subject"]],
        "outcome_detail": f"{row['Test_subject']} test, {timing} ({row['Estimation_method']})",
        "form": "effect",
        "measure": "SMD",
        "data": {"yi": num(row["Effectsize_g"]), "sei": num(row["SE_g"])},
        "location": f"data/sources/{FOLDER}/data.csv row {row['_row']}",
        "notes": " ".join(notes),
    }
    if not post:
        out["poolable"] = False
        out["not_poolable_reason"] = ("Follow-up estimate: the dataset gives no follow-up time, so it cannot be"
                                      " placed in a follow-up window beside the post-test estimates.")
    return out


def record(rows: list[dict]) -> dict:
    first = rows[0]
    authors, et_al = authors_of(first["Authors"])
    several = len({r["Authors"] for r in rows}) > 1
    published = first["Publishing_status"] == "1.0"
    outlet = first["Outlet"]
    pubtype = ("journal-article" if published else "thesis" if outlet == "Dissertation"
               else "report" if "report" in outlet.lower() else "other")
    citation = {"authors": authors, "et_al": et_al, "title": first["Title"].strip(), "year": num(first["Year"]),
                "journal": outlet if published else None, "publication_type": pubtype}
    return {
        "citation": {k: v for k, v in citation.items() if v is not None},
        "provenance": {
            "source": SOURCE,
            "source_doi": DOI,
            "source_url": REPO,
            "extraction": "secondary",
            "location": f"{ORIGIN}, as data/sources/{FOLDER}/data.csv rows "
                        f"{', '.join(str(r['_row']) for r in rows)} (Study_ID {first['Study_ID']})",
            "descriptors": study_descriptors(rows),
            "history": history(SCRIPT, FOLDER),
        },
        "design": {k: v for k, v in design(rows).items() if v is not None},
        "effects": [effect(r, several) for r in rows],
    }


def main(studies_dir: Path = ROOT / "data" / "studies") -> None:
    rows = read_rows(SOURCES_DIR / FOLDER / "data.csv")
    by_study = group_rows(rows, lambda r: r["Study_ID"])
    records = []
    for study_rows in by_study.values():
        rec = record(study_rows)
        c = rec["citation"]
        records.append((f"{c['authors'][0]} {c['year']}", rec))
    files = assign_ids(studies_dir, MARKER, records)
    effects = sum(len(r["effects"]) for _, r in records)
    follow = sum(1 for r in rows if r["Post"] != "1.0")
    combos = Counter(intervention(r) for r in rows)
    text = report(FOLDER, SCRIPT, [
        f"- Rows read: {len(rows)}; studies (Study_ID): {len(by_study)}; records written: {len(files)};"
        f" effects written: {effects}.",
        "- Rows left out: 0.",
        f"- Follow-up rows kept but marked not poolable: {follow} (no follow-up time in the dataset).",
        "- Every effect notes that the dataset does not state the sign convention.",
        "- Interventions: the combination of the review's instruction-method components coded 1 in the row"
        " (undocumented indicator columns, read by their names):",
        *[f"  - `{slug}`: {n} rows" for slug, n in combos.most_common()],
    ])
    write(studies_dir, FOLDER, files, text)


if __name__ == "__main__":
    main()
