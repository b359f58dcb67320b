"""Run R's metafor (and clubSandwich) on many datasets in one ``Rscript`` call.

``fit_in_r(datasets)`` writes one long CSV, runs ``Rscript metafor.R in out``
once (R start-up costs about a second, so everything goes in one batch) and
returns one dict per dataset, in the order given. Each dataset is a dict:

    {"name": "d1", "model": "che" | "rma" | "regtest", "method": "REML",
     "test": "z", "rho": 0.8, "yi": [...], "vi": [...],
     "study": [...], "subgroup": [...] or None}

``study`` and ``subgroup`` are needed for ``che`` only; a ``che`` dataset may also
give ``tau2_fixed`` and ``omega2_fixed`` to evaluate the model with its variance
components held at those values. Every result has the
keys of ``FIELDS`` (floats, None where R gave NA) plus ``name`` and
``error`` (None, or R's message for that dataset: one failing fit does not
stop the others).
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import tempfile
from pathlib import Path

SCRIPT = Path(__file__).with_name("metafor.R")
FIELDS = ("estimate", "se", "stat", "ci_lb", "ci_ub", "pval", "df", "tau2", "omega2",
          "pi_lb", "pi_ub", "k", "k_effects", "se_tau2", "I2", "H2", "QE", "QEp",
          "se_model", "ll", "slope", "slope_se")
COLUMNS = ("dataset", "model", "method", "test", "rho", "yi", "vi", "study", "subgroup", "tau2_fixed",
           "omega2_fixed")


class OracleError(RuntimeError):
    """R could not be run or did not write its output."""


def r_available() -> bool:
    """True when Rscript runs and metafor and clubSandwich load."""
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(
        ["Rscript", "-e", "suppressMessages({library(metafor); library(clubSandwich)})"],
        capture_output=True, timeout=120, check=False)
    return probe.returncode == 0


def _text(x) -> str:
    if x is None:
        return ""
    if isinstance(x, float):
        return repr(x)  # shortest round-trip representation
    return str(x)


def _rows(ds: dict):
    name = str(ds["name"])
    yi, vi = list(ds["yi"]), list(ds["vi"])
    n = len(yi)
    study = list(ds.get("study") or range(1, n + 1))
    subgroup = ds.get("subgroup")
    subgroup = [None] * n if subgroup is None else list(subgroup)
    if not (len(vi) == len(study) == len(subgroup) == n):
        raise ValueError(f"dataset {name!r}: yi, vi, study and subgroup differ in length")
    for i in range(n):
        yield (name, ds.get("model", "rma"), ds.get("method", "REML"), ds.get("test", "z"),
               _text(float(ds.get("rho", 0.8))), _text(float(yi[i])), _text(float(vi[i])),
               _text(study[i]), _text(subgroup[i]), _text(ds.get("tau2_fixed")), _text(ds.get("omega2_fixed")))


def _number(text: str):
    return None if text in ("", "NA", "NaN") else float(text)


def fit_in_r(datasets: list[dict], timeout: float = 600) -> list[dict]:
    """Fit every dataset in R in one Rscript run (see the module doc)."""
    names = [str(ds["name"]) for ds in datasets]
    if len(set(names)) != len(names):
        raise ValueError("dataset names must be unique")
    if not datasets:
        return []
    with tempfile.TemporaryDirectory(prefix="metafor-oracle-") as tmp:
        src, dst = Path(tmp, "in.csv"), Path(tmp, "out.csv")
        with open(src, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            for ds in datasets:
                writer.writerows(_rows(ds))
        try:
            run = subprocess.run(["Rscript", str(SCRIPT), str(src), str(dst)],
                                 capture_output=True, text=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise OracleError(f"could not run Rscript: {exc}") from exc
        if run.returncode != 0 or not dst.exists():
            raise OracleError(f"Rscript failed ({run.returncode}): {run.stderr.strip()[-2000:]}")
        with open(dst, encoding="utf-8", newline="") as fh:
            found = {row["dataset"]: row for row in csv.DictReader(fh)}
    results = []
    for name in names:
        row = found.get(name)
        if row is None:
            results.append({"name": name, "error": "no output row from R", **dict.fromkeys(FIELDS)})
            continue
        out = {"name": name, "error": row["error"] or None}
        out.update({f: _number(row[f]) for f in FIELDS})
        results.append(out)
    return results
