"""Seed one study record per study reference of Taylor et al.'s youth-employment component NMA.

``python scripts/seed_taylor_youth_employment.py`` reads
``data/sources/taylor-youth-employment-cnma/`` — ``data.csv`` (employment status)
and ``education_analysis_data.csv`` (education completion), one row per study
reference, and the two included-studies tables for programme names — and writes
one record per study reference and ``SEED-REPORT.md`` there.

As the review analyses them (SOURCE.md): ``es`` (Hedges' g) with ``se``, the
contrast of the intervention's components with the comparison's components; the
network meta-analysis reads ``se`` (``var`` is missing in 5 rows), so ``sei`` is
kept. The NMA's forest plots label the positive side "Favours Intervention".
The citation keys in ``Primary reference`` do not resolve in the repository, so
the records name each study by its programme name (and the year in the study
reference), not by authors.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from seedlib import ROOT, SOURCES_DIR, assign_ids, history, num, read_rows, report, write, year_in  # noqa: E402

FOLDER = "taylor-youth-employment-cnma"
MARKER = f"data/sources/{FOLDER}/"
SCRIPT = "seed_taylor_youth_employment.py"
SOURCE = ("Taylor, D., Featherston, R., Ott, E. M., Newton, B., Tanner-Smith, E. E., & Shlonsky, A. Employment and"
          " skills interventions designed to assist young people to enter the labour market in high income"
          " countries: A component network meta-analysis. Manuscript (2024); supplementary material:"
          " doi:10.5281/zenodo.10690829.")
DOI = "10.5281/zenodo.10690829"
REPO = "https://github.com/davetayl-r/youth-employment-nma-paper/tree/a2f361e4220cbffe092f42a17ba4711eb0b23600"
ORIGIN = "davetayl-r/youth-employment-nma-paper (commit a2f361e) network-meta/nma/data/"
TABLES = {  # outcome table → (effect id, outcome slug, origin file)
    "data.csv": ("employment", "employment", "employment_analysis_data.RDS"),
    "education_analysis_data.csv": ("education", "education-completion", "education_analysis_data.RDS"),
}
INCLUDED = ("employment_included_studies.csv", "education_included_studies.csv")
#: The review's component codes (employment_clean_merge.R) → short slug parts, in the review's order.
CODES = {"BS": "bs", "LS": "ls", "OFF-JT": "off-jt", "ON-JT": "on-jt", "APP": "app", "C&M": "cm", "OTH": "oth"}
SINGLE = {"BS": "basic-skills-training", "LS": "life-skills-training", "OFF-JT": "off-the-job-training",
          "ON-JT": "on-the-job-training", "APP": "apprenticeships", "C&M": "coaching-and-mentoring",
          "OTH": "other-employment-services"}
DESIGNS = {"Randomised": "rct", "Non-randomised": "quasi-experimental"}
NOTE = ("Hedges' g with its standard error as the review's network meta-analysis reads them (the dataset also"
        " gives var and a 95% CI); the review's forest plots label positive values 'Favours Intervention'.")


def intervention(codes: str) -> str:
    parts = codes.split("+")
    unknown = [p for p in parts if p not in CODES]
    if unknown:
        raise ValueError(f"unknown component code(s) {unknown} in {codes!r}")
    return SINGLE[parts[0]] if len(parts) == 1 else "youth-" + "-".join(CODES[p] for p in parts)


def comparison(codes: str) -> str:
    return "usual-practice" if codes == "SAU" else "youth-comparison-" + "-".join(CODES[p] for p in codes.split("+"))


def effect(table: str, row: dict) -> dict:
    eid, outcome, _ = TABLES[table]
    return {
        "id": eid,
        "intervention": intervention(row["intervention"]),
        "comparison": comparison(row["comparison"]),
        "target_group": "young-unemployed-additional-barriers" if row["complex_population"] == "Yes"
        else "young-people-entering-labour-market",
        "outcome": outcome,
        "outcome_detail": "employment status" if eid == "employment" else "education completion",
        "form": "effect",
        "measure": "SMD",
        "data": {"yi": num(row["es"]), "sei": num(row["se"])},
        "location": f"data/sources/{FOLDER}/{table} row {row['_row']} (study {row['study']})",
        "notes": f"Components: {row['intervention']} against {row['comparison']}. {NOTE}",
    }


def record(ref: str, rows: list[tuple[str, dict]], included: dict) -> dict:
    first = rows[0][1]
    info = included[ref]
    designs = {r["study_design"] for _, r in rows}
    if len(designs) != 1:
        raise ValueError(f"{ref}: study_design differs between tables")
    sizes = [num(r["sample.size"]) for _, r in rows]
    citation = {"label": info["Study name"], "year": year_in(ref), "publication_type": "other"}
    return {
        "citation": {k: v for k, v in citation.items() if v is not None},
        "provenance": {
            "source": SOURCE,
            "source_doi": DOI,
            "source_url": REPO,
            "extraction": "secondary",
            "location": f"{ORIGIN}, as " + "; ".join(f"data/sources/{FOLDER}/{t} row {r['_row']}" for t, r in rows)
                        + f" (study reference '{ref}')",
            "descriptors": {"study": ref, "Study name": info["Study name"],
                            "Primary reference": info["Primary reference"], "Study design": info["Study design"],
                            "complex_population": first["complex_population"],
                            "study_quality": first["study_quality"]},
            "history": history(SCRIPT, FOLDER),
        },
        "design": {"type": DESIGNS[first["study_design"]], "country": first["study_location"],
                   "sample_size": max(sizes),
                   "quality_notes": f"Coded '{first['study_design']}'; the review's quality appraisal rates it"
                                    f" '{first['study_quality']}'. The year is the one in the study reference."
                                    " Sample size: the largest sample.size of its rows."},
        "effects": [effect(t, r) for t, r in rows],
    }


def main(studies_dir: Path = ROOT / "data" / "studies") -> None:
    folder = SOURCES_DIR / FOLDER
    included = {}
    for name in INCLUDED:
        for row in read_rows(folder / name):
            included.setdefault(row["Study reference"], row)
    by_ref: dict[str, list[tuple[str, dict]]] = {}
    counts = {}
    for table in TABLES:
        rows = read_rows(folder / table)
        counts[table] = len(rows)
        for row in rows:
            by_ref.setdefault(row["study"], []).append((table, row))
    records = []
    for ref, rows in by_ref.items():
        name, year = included[ref]["Study name"], year_in(ref)
        wanted = name if year is None or str(year) in name else f"{name} {year}"  # no "… 2006 2006"
        records.append((wanted, record(ref, rows, included)))
    files = assign_ids(studies_dir, MARKER, records)
    effects = sum(len(r["effects"]) for _, r in records)
    text = report(FOLDER, SCRIPT, [
        f"- Rows read: data.csv {counts['data.csv']} (employment), education_analysis_data.csv"
        f" {counts['education_analysis_data.csv']} (education completion); study references: {len(by_ref)};"
        f" records written: {len(files)}; effects written: {effects}.",
        "- Rows left out: 0.",
        "- Each study reference is its own record, as the review treats it (several programmes of one report are"
        " separate studies that may share comparison groups; SOURCE.md, Dependence).",
        "- No authors or titles: the `Primary reference` citation keys do not resolve in the repository; records"
        " carry the programme name as label and the year written in the study reference.",
        "- Target group: `young-unemployed-additional-barriers` where complex_population is 'Yes' (young people"
        " with reported additional barriers, per the supplementary material), else"
        " `young-people-entering-labour-market`.",
    ])
    write(studies_dir, FOLDER, files, text)


if __name__ == "__main__":
    main()
