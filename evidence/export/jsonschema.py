"""The JSON Schema (draft 2020-12) of the export, written from the column table.

``schemas/evidence-parameters-1.schema.json`` is this module's output; a test
keeps them equal. After changing a column: ``python -m evidence.export.jsonschema``.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..services.parameters import FILTERS, ROW_FIELDS, SCHEMA
from ..stats.rma import METHODS, TESTS
from .columns import COLUMNS

PATH = Path(__file__).resolve().parents[2] / "schemas" / "evidence-parameters-1.schema.json"
_TYPES = {"string": {"type": "string"}, "number": {"type": "number"}, "integer": {"type": "integer"},
          "boolean": {"type": "boolean"}, "list": {"type": "array", "items": {"type": "string"}},
          "text-list": {"type": "array", "items": {"type": "string"}}}
_TIGHTER = {
    "id": {"pattern": r"^[a-z0-9-]+(\.[a-z0-9-]+){4}\.[A-Z]+$"},
    "followup": {"enum": ["0-12m", "13-36m", "37m-plus", "not-stated"]},
    "measure": {"enum": ["RR", "OR", "RD", "MD", "SMD", "ROM", "GEN", "PR"]},
    "scale": {"enum": ["log", "identity"]},
    "k": {"minimum": 1},
    "evidence_level": {"minimum": 1, "maximum": 3},
    "strength": {"minimum": 0, "maximum": 5},
    "studies": {"minItems": 1},
    "method": {"enum": list(METHODS)},
    "method_used": {"enum": list(METHODS)},
    "test": {"enum": [*TESTS, "cr2"]},
    "model": {"enum": ["rma", "che-rve"]},
    "k_effects": {"minimum": 1},
    "rho": {"minimum": 0, "exclusiveMaximum": 1},
    "omega2": {"minimum": 0},
    "level": {"exclusiveMinimum": 0, "exclusiveMaximum": 1},
    "direction": {"enum": ["benefit", "harm", "unclear"]},
    **{name: {"minimum": 0, "maximum": 1}
       for name in ("control_risk", "treated_risk", "control_risk_ci_low", "control_risk_ci_high")},
}
_ROW_TYPES = {"study": "string", "label": "string", "effect": "string", "target_group": "string",
              "design": "string", "yi": "number", "vi": "number", "weight": "number", "n_participants": "integer?",
              "conversions": "list", "sample": "string?", "risk_of_bias": "string?", "control_events": "integer?",
              "control_n": "integer?"}


def _type(kind: str, nullable: bool) -> dict:
    out = dict(_TYPES[kind])
    if nullable:
        out["type"] = [out["type"], "null"]
    return out


def _fit(*first: tuple[str, dict]) -> dict:
    props = {**dict(first), "estimate": {"type": "number"}, "ci_low": {"type": "number"},
             "ci_high": {"type": "number"}, "tau2": {"type": ["number", "null"]}, "i2": {"type": ["number", "null"]}}
    return {"type": "object", "required": list(props), "properties": props}


def _object(types: dict[str, str]) -> dict:
    props = {name: _type(kind.rstrip("?"), kind.endswith("?")) for name, kind in types.items()}
    return {"type": "object", "required": list(props), "additionalProperties": False, "properties": props}


def schema() -> dict:
    props = {c.name: {**_type(c.type, c.nullable), **_TIGHTER.get(c.name, {}), "description": c.en} for c in COLUMNS}
    props["rows"] = {"type": "array", "items": {"$ref": "#/$defs/row"},
                     "description": "Per-study estimates on the analysis scale, with their weight (%)"}
    props["sensitivity"] = {
        "type": ["object", "null"],
        "description": "Leave-one-study-out, RCT-only and (che-rve) other-rho re-analyses",
        "required": ["leave_one_out", "rct_only", "rho"],
        "properties": {"leave_one_out": {"type": "array", "items": {"$ref": "#/$defs/leave_one_out"}},
                       "rct_only": {"anyOf": [{"$ref": "#/$defs/rct_only"}, {"type": "null"}]},
                       "rho": {"type": "array", "items": {"$ref": "#/$defs/rho"}}}}
    props["study_effects"] = {"type": "array", "items": {"$ref": "#/$defs/study_effect"},
                              "description": "One effect per study (dependent effects aggregated with rho), "
                                             "for forest and funnel plots"}
    props["small_study_test"] = {"anyOf": [{"$ref": "#/$defs/small_study_test"}, {"type": "null"}],
                                 "description": "Egger's regression test (metafor regtest), from 10 studies"}
    rows = {name: _type(kind.rstrip("?"), kind.endswith("?")) for name, kind in _ROW_TYPES.items()}
    assert tuple(rows) == ROW_FIELDS
    methods = {"enum": list(METHODS)}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/evidence/evidence/schemas/evidence-parameters-1.schema.json",
        "title": f"{SCHEMA}: default effect parameters for calculators",
        "description": ("The file written by `evidence export parameters --format json`, served at "
                        "/api/v1/parameters.json and kept in every release. estimate, ci_* and pi_* are on the "
                        "analysis scale (log for RR/OR/ROM), as metafor reports them; *_natural fields are "
                        "ratios. Every parameter has every field, null where it does not apply."),
        "type": "object",
        "required": ["schema", "dataset_version", "generated_at", "settings", "parameters"],
        "additionalProperties": False,
        "properties": {
            "schema": {"const": SCHEMA},
            "dataset_version": {"type": "string", "pattern": "^[0-9a-f]{16}$",
                                "description": "content hash of the data files and the schema version"},
            "generated_at": {"type": "string", "format": "date-time",
                             "description": "when the dataset was built: the same for every export of one build"},
            "settings": {
                "type": "object", "required": ["method", "test", "level", "rho"], "additionalProperties": False,
                "properties": {
                    "method": methods, "test": {"enum": list(TESTS)}, "level": {"const": 0.95},
                    "rho": {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
                    "baseline_risk": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
                    "filters": {"type": "object", "additionalProperties": {"type": "string"},
                                "propertyNames": {"enum": list(FILTERS)}}}},
            "parameters": {"type": "array", "items": {"$ref": "#/$defs/parameter"}},
        },
        "$defs": {
            "parameter": {"type": "object", "required": list(props), "additionalProperties": False,
                          "properties": props},
            "row": {"type": "object", "required": list(rows), "additionalProperties": False, "properties": rows},
            "leave_one_out": _fit(("omitted", {"type": "string"})),
            "rct_only": _fit(("k", {"type": "integer", "minimum": 1}),
                             ("k_effects", {"type": "integer", "minimum": 1}),
                             ("model", {"enum": ["rma", "che-rve"]})),
            "rho": _object({"rho": "number", "estimate": "number", "se": "number", "ci_low": "number",
                            "ci_high": "number", "df": "number?", "tau2": "number", "omega2": "number?"}),
            "study_effect": _object({"study": "string", "label": "string", "yi": "number", "vi": "number",
                                     "sei": "number", "n_effects": "integer", "weight": "number"}),
            "small_study_test": _object({"model": "string", "predictor": "string", "method": "string",
                                         "test": "string", "k": "integer",
                                         "stat": "number", "df": "number?", "pval": "number",
                                         "limit_estimate": "number", "limit_ci_low": "number",
                                         "limit_ci_high": "number", "on": "string"}),
        },
    }


def text() -> str:
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # pragma: no cover
    PATH.write_text(text(), encoding="utf-8")
    print(f"wrote {PATH}")
