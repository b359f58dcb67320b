"""Write one study record per row of the four reference datasets.

Run once to create the seed corpus (``python scripts/seed_reference_studies.py
tests/stats/reference data/studies``: the reference datasets are kept in the
repository). The records hold exactly the numbers in the dataset rows, and
cite the meta-analysis they were extracted from. The CSV importer reproduces
the same effects (``tests/importers/test_roundtrip.py``).
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

from evidence.records.slugs import slugify, unique
from evidence.records.write import dump_record, write_files

CREATED = {"date": "2026-11-23", "by": "evidence maintainers",
           "change": "Created from the reference dataset row."}

SOURCES = {
    "landenberger2005": (
        "Landenberger, N. A., & Lipsey, M. W. (2005). The positive effects of cognitive-behavioral "
        "programs for offenders: A meta-analysis of factors associated with effective treatment. "
        "Journal of Experimental Criminology, 1(4), 451–476.",
        "10.1007/s11292-005-3541-7", "dat.landenberger2005"),
    "bcg": (
        "Colditz, G. A., et al. (1994). Efficacy of BCG vaccine in the prevention of tuberculosis. "
        "JAMA, 271(9), 698–702.",
        "10.1001/jama.1994.03510330076038", "dat.bcg"),
    "normand1999": (
        "Normand, S.-L. T. (1999). Meta-analysis: Formulating, evaluating, combining, and reporting. "
        "Statistics in Medicine, 18(3), 321–359.",
        "10.1002/(SICI)1097-0258(19990215)18:3<321::AID-SIM28>3.0.CO;2-P", "dat.normand1999"),
    "bangertdrowns2004": (
        "Bangert-Drowns, R. L., Hurley, M. M., & Wilkinson, B. (2004). The effects of school-based "
        "writing-to-learn interventions on academic achievement: A meta-analysis. Review of "
        "Educational Research, 74(1), 29–58.",
        "10.3102/00346543074001029", "dat.bangertdrowns2004"),
}
COUNTRIES = {"USA": "United States", "UK": "United Kingdom", "CAN": "Canada", "NZ": "New Zealand"}
PUBTYPES = {"journal": "journal-article", "chapter": "book-chapter", "report": "report", "thesis": "thesis"}


def _num(value: str):
    if value in ("", "NA"):
        return None
    number = float(value)
    return int(number) if number.is_integer() else number


def _authors(text: str) -> tuple[list[str], bool]:
    et_al = bool(re.search(r"\bet al\.?$", text))
    text = re.sub(r"\s*\bet al\.?$", "", text)
    return [a.strip() for a in text.split("&") if a.strip()], et_al


def _provenance(dataset: str, row_no: int, row: dict, descriptors: dict) -> dict:
    source, doi, name = SOURCES[dataset]
    label = row.get("study") if dataset == "landenberger2005" else row.get("author") or row.get("source")
    return {
        "source": source,
        "source_doi": doi,
        "extraction": "secondary",
        "location": f"{name} (metadat 1.2-0), row {row_no}: '{label}'",
        "descriptors": {k: _num(v) if re.fullmatch(r"-?[\d.]+", v or "") else (v or None)
                        for k, v in descriptors.items()},
        "history": [CREATED],
    }


def landenberger(row: dict, n: int) -> dict:
    # "Robinson (1995a)": the letter tells two reports of one year apart.
    m = re.fullmatch(r"(.+?) \((\d{4})[a-z]?\)", row["study"])
    authors, et_al = _authors(m.group(1))
    ai, bi, ci, di = (int(row[k]) for k in ("ai", "bi", "ci", "di"))
    design = {"rct": "rct", "nonequiv": "quasi-experimental", "match": "quasi-experimental"}[row["design"]]
    return {
        "citation": {"authors": authors, "et_al": et_al, "year": int(m.group(2)),
                     "publication_type": PUBTYPES[row["pubtype"]]},
        "provenance": _provenance("landenberger2005", n, row, {
            k: row[k] for k in ("design", "program", "group", "age", "male", "minority", "length", "sessions")}),
        "design": {"type": design, "country": COUNTRIES[row["country"]], "setting": row["setting"],
                   "sample_size": ai + bi + ci + di,
                   "quality_notes": f"Design coded '{row['design']}' by Landenberger & Lipsey (2005)."},
        "effects": [{
            "id": "recidivism", "intervention": "cbt-offenders", "comparison": "control",
            "target_group": {"juveniles": "juvenile-offenders", "adults": "adult-offenders"}[row["group"]],
            "outcome": "recidivism", "followup_months": _num(row["interval"]),
            "form": "counts", "measure": "OR", "data": {"ai": ai, "bi": bi, "ci": ci, "di": di},
        }],
    }


def bcg(row: dict, n: int) -> dict:
    authors, et_al = _authors(row["author"])
    ai, bi, ci, di = (int(row[k]) for k in ("ai", "bi", "ci", "di"))
    design = "rct" if row["alloc"] == "random" else "quasi-experimental"
    return {
        "citation": {"authors": authors, "et_al": et_al, "year": int(row["year"])},
        "provenance": _provenance("bcg", n, row, {"ablat": row["ablat"], "alloc": row["alloc"]}),
        "design": {"type": design, "sample_size": ai + bi + ci + di,
                   "quality_notes": f"Allocation coded '{row['alloc']}' in the dataset."},
        "effects": [{
            "id": "tuberculosis", "intervention": "bcg-vaccination", "comparison": "no-intervention",
            "target_group": "tuberculosis-trial-populations", "outcome": "tuberculosis",
            "form": "counts", "measure": "RR", "data": {"ai": ai, "bi": bi, "ci": ci, "di": di},
        }],
    }


def normand(row: dict, n: int) -> dict:
    data = {k: _num(row[k]) for k in ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")}
    return {
        "citation": {"label": row["source"]},
        "provenance": _provenance("normand1999", n, row, {"study": row["study"], "source": row["source"]}),
        "design": {"type": "controlled-study", "sample_size": data["n1i"] + data["n2i"],
                   "quality_notes": "The dataset compares specialist with routine care but does not report"
                                    " how patients were allocated."},
        "effects": [{
            "id": "length-of-stay", "intervention": "specialist-stroke-care", "comparison": "usual-practice",
            "target_group": "stroke-patients", "outcome": "length-of-stay", "outcome_detail": "days in hospital",
            "form": "means", "measure": "MD", "data": data,
        }],
    }


def bangertdrowns(row: dict, n: int) -> dict:
    authors, et_al = _authors(row["author"])
    return {
        "citation": {"authors": authors, "et_al": et_al, "year": int(row["year"])},
        "provenance": _provenance("bangertdrowns2004", n, row,
                                  {k: row[k] for k in ("grade", "length", "subject")}),
        "design": {"type": "controlled-study", "sample_size": int(row["ni"]),
                   "quality_notes": "The dataset gives standardized mean differences from treatment and"
                                    " comparison groups but not how students were allocated."},
        "effects": [{
            "id": "academic-achievement", "intervention": "writing-to-learn", "comparison": "usual-practice",
            "target_group": "school-students", "outcome": "academic-achievement",
            "form": "effect", "measure": "SMD", "data": {"yi": _num(row["yi"]), "vi": _num(row["vi"])},
        }],
    }


BUILDERS = {"landenberger2005": landenberger, "bcg": bcg, "normand1999": normand,
            "bangertdrowns2004": bangertdrowns}


def study_id(dataset: str, record: dict) -> str:
    c = record["citation"]
    if c.get("authors"):
        return slugify(f"{c['authors'][0]} {c.get('year') or ''}")
    return slugify(f"{dataset} {c['label']}")


def main(reference_dir: Path, studies_dir: Path) -> None:
    taken = {p.stem for p in studies_dir.glob("*.yaml")}
    files = {}
    for dataset, build in BUILDERS.items():
        with open(reference_dir / f"{dataset}.csv", newline="", encoding="utf-8") as fh:
            for n, row in enumerate(csv.DictReader(fh), start=1):
                record = build(row, n)
                sid = unique(study_id(dataset, record), taken)
                taken.add(sid)
                files[studies_dir / f"{sid}.yaml"] = dump_record({"id": sid, **record})
    write_files(files)
    print(f"wrote {len(files)} records to {studies_dir}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
