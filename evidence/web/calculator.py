"""The "use in a calculator" box: one parameter as JSON, CSV and a citation.

The fields are the export's contract (``evidence.services.parameters.CONTRACT``),
in that order, so the box, ``/api/v1/parameters/<id>`` and the bulk exports
agree; the per-study rows and sensitivity analyses are left to the API.
"""

from __future__ import annotations

import csv
import io
import json

from ..export.tabular import cell
from ..services.parameters import CONTRACT

EXTRA = ("estimate_natural", "ci_low_natural", "ci_high_natural", "pi_low_natural", "pi_high_natural",
         "risk_difference_pp_ci_low", "risk_difference_pp_ci_high", "direction", "method", "test",
         "som_success_rate_pp", "som_success_rate_pp_ci_low", "som_success_rate_pp_ci_high")


def fields(result: dict, dataset_version: str | None) -> dict:
    out = {name: result.get(name) for name in (*CONTRACT, *EXTRA)}
    out["dataset_version"] = dataset_version
    return out


def as_json(result: dict, dataset_version: str | None) -> str:
    return json.dumps(fields(result, dataset_version), ensure_ascii=False, indent=2)


def as_csv(result: dict, dataset_version: str | None) -> str:
    data = fields(result, dataset_version)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(data))
    writer.writerow([";".join(map(str, v)) if isinstance(v, list) else cell(v) for v in data.values()])
    return buffer.getvalue()


def citation(result: dict, labels: dict, dataset_version: str | None, url: str, built_at: str | None) -> str:
    """A ready citation of the parameter: what, which version, where."""
    year = (built_at or "")[:4] or "n.d."
    return (f"Evidence knowledge base ({year}). {labels['intervention']} – {labels['outcome']}, "
            f"{labels['target_group']}, {labels['followup']}: pooled {result['measure']} "
            f"(k = {result['k']}; parameter {result['id']}). Dataset version {dataset_version}. {url}")
