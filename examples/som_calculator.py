#!/usr/bin/env python3
"""SØM-style calculator: expected successes per year from one evidence parameter.

Pulls one default parameter (a binary outcome in RR, OR or RD) from the
evidence API or from a JSON export, takes a baseline risk (yours, or the
pooled control-group risk of the studies) and computes, for N participants a
year, how many more successes the intervention gives *net of what would have
happened anyway* (the comparison group's outcome, SØM's "dødvægt"), with the
95% confidence interval and the 95% prediction interval (a new setting).

Only the standard library: copy it anywhere. Examples::

    python som_calculator.py --api http://localhost:5000 \\
        --parameter cbt-offenders.offenders.recidivism.control.0-12m.RR --participants 200 --baseline 0.45
    python som_calculator.py --file evidence-parameters.json --parameter ... --participants 200
    python som_calculator.py --api http://localhost:5000 --version 2026-11-23-98294436 ...   # a pinned release
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import urllib.parse
import urllib.request


def fetch_parameter(api: str, parameter_id: str, method: str, test: str, version: str | None) -> tuple[dict, str]:
    """The parameter from ``<api>/api/v1/parameters/<id>`` and the dataset version that served it."""
    query = {"method": method, "test": test, **({"version": version} if version else {})}
    url = f"{api.rstrip('/')}/api/v1/parameters/{urllib.parse.quote(parameter_id)}?{urllib.parse.urlencode(query)}"
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response), response.headers.get("X-Dataset-Version", "")
    except urllib.error.HTTPError as exc:  # a problem+json body says what was wrong
        problem = json.load(exc)
        hints = problem.get("suggestions") or [r["name"] for r in problem.get("available", [])]
        advice = f" Did you mean: {', '.join(hints)}?" if hints else ""
        raise SystemExit(f"{problem.get('detail', exc)}{advice}") from None


def read_parameter(path: str, parameter_id: str) -> tuple[dict, str]:
    """The parameter from a JSON export file (``evidence export parameters`` or a release)."""
    with open(path, encoding="utf-8") as handle:
        doc = json.load(handle)
    for parameter in doc["parameters"]:
        if parameter["id"] == parameter_id:
            return parameter, doc["dataset_version"]
    raise SystemExit(f"no parameter {parameter_id} in {path}")


def treated_risk(p0: float, measure: str, value: float) -> float:
    """Risk with the intervention at control risk ``p0`` (``value`` on the analysis scale)."""
    if measure == "RR":
        p1 = p0 * math.exp(value)
    elif measure == "OR":
        odds = p0 / (1 - p0) * math.exp(value)
        p1 = odds / (1 + odds)
    elif measure == "RD":
        p1 = p0 + value
    else:
        raise SystemExit(f"measure {measure}: this calculator needs a binary outcome (RR, OR or RD)")
    return min(1.0, max(0.0, p1))


def successes(parameter: dict, participants: float, baseline: float | None) -> dict:
    """Expected outcomes a year without and with the intervention, and the net successes with intervals."""
    p0 = baseline if baseline is not None else parameter.get("control_risk")
    if p0 is None:
        raise SystemExit("this parameter has no pooled control risk: give --baseline")
    lower_is_better = parameter.get("outcome_desirable", "lower") == "lower"
    sign = 1 if lower_is_better else -1

    def net(value: float | None) -> float | None:
        if value is None:
            return None
        return sign * participants * (p0 - treated_risk(p0, parameter["measure"], value))

    ends = sorted(x for x in (net(parameter["ci_low"]), net(parameter["ci_high"])))
    pred = [net(parameter.get("pi_low")), net(parameter.get("pi_high"))]
    return {
        "parameter": parameter["id"], "measure": parameter["measure"], "participants": participants,
        "baseline_risk": p0, "treated_risk": treated_risk(p0, parameter["measure"], parameter["estimate"]),
        "without_intervention": participants * p0,
        "with_intervention": participants * treated_risk(p0, parameter["measure"], parameter["estimate"]),
        "net_successes": net(parameter["estimate"]), "ci_low": ends[0], "ci_high": ends[1],
        "pi_low": min(pred) if None not in pred else None, "pi_high": max(pred) if None not in pred else None,
        "success_means": "fewer" if lower_is_better else "more",
        "evidence_level": parameter.get("evidence_level"), "strength": parameter.get("strength"),
        "studies": len(parameter["studies"]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--api", help="base URL of an evidence server, e.g. http://localhost:5000")
    source.add_argument("--file", help="a JSON export (evidence export parameters --format json) or release file")
    parser.add_argument("--parameter", required=True, help="parameter id")
    parser.add_argument("--participants", type=float, default=100, help="participants a year (default 100)")
    parser.add_argument("--baseline", type=float, help="your risk of the outcome without the intervention, 0-1")
    parser.add_argument("--method", default="REML", help="tau² estimator (API only; default REML)")
    parser.add_argument("--test", default="z", help="z or knha (API only; default z)")
    parser.add_argument("--version", help="a release name or dataset_version to pin (API only)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    if args.baseline is not None and not 0 < args.baseline < 1:
        parser.error("--baseline must be strictly between 0 and 1")
    if args.api:
        parameter, version = fetch_parameter(args.api, args.parameter, args.method, args.test, args.version)
    else:
        parameter, version = read_parameter(args.file, args.parameter)
    result = {**successes(parameter, args.participants, args.baseline), "dataset_version": version}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    outcome = parameter.get("outcome_label_en") or parameter["outcome"]
    print(f"{parameter['id']}  (dataset {version}, {result['studies']} studies, "
          f"evidence level {result['evidence_level']}, strength {result['strength']}/5)")
    print(f"Participants a year:              {args.participants:g}")
    print(f"{outcome} without the intervention: {result['without_intervention']:.1f}  (baseline risk "
          f"{result['baseline_risk']:.1%})")
    print(f"{outcome} with the intervention:    {result['with_intervention']:.1f}")
    print(f"Net successes a year ({result['success_means']}: {outcome}): {result['net_successes']:.1f}, "
          f"95% CI {result['ci_low']:.1f} to {result['ci_high']:.1f}")
    if result["pi_low"] is not None:
        print(f"In a new setting (95% prediction interval): {result['pi_low']:.1f} to {result['pi_high']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
