"""A Flat field loads what marshmallow's Nested loads, value for value and message for message."""

from __future__ import annotations

import copy

import pytest
from marshmallow import Schema, ValidationError, fields

from evidence.records import schemas
from evidence.records.flat import Flat
from evidence.records.yamlio import load
from tests.fixture_data import FIXTURE_DATA, ROOT

RECORDS = sorted([*(ROOT / "data" / "studies").glob("*.yaml"), *(FIXTURE_DATA / "studies").glob("*.yaml")])
BAD = ["", "x", -1, 0, 1.5, True, None, [], {}, float("nan"), "2026-13-01", "Not A Slug", ["a"], {"k": 1}]


def mappings(schema_name: str) -> list:
    """The mappings each schema loads in the records (a study's design, an effect's data, ...)."""
    out = []
    for path in RECORDS:
        study = load(path).data
        effects = study.get("effects") or []
        out.extend({
            "EffectSchema": effects,
            "DataSchema": [e.get("data") for e in effects],
            "ProvenanceSchema": [study.get("provenance")],
            "DesignSchema": [study.get("design")],
            "SummarySchema": [study.get("summary")],
            "HistoryEntrySchema": (study.get("provenance") or {}).get("history") or [],
        }[schema_name])
    return [m for m in out if isinstance(m, dict)][:60]


def variants(mapping: dict):
    """The mapping, and it with each key left out, each value made wrong, and a key it does not declare."""
    yield mapping
    for key in mapping:
        yield {k: v for k, v in mapping.items() if k != key}
        for bad in BAD:
            yield {**mapping, key: copy.deepcopy(bad)}
    yield {**mapping, "zzz": 1}
    yield {**mapping, "zzz": 1, "yyy": 2}
    yield "not a mapping"


def outcome(schema: Schema, value):
    try:
        return ("loaded", repr(schema.load({"x": value})))
    except ValidationError as exc:
        return ("error", repr(exc.messages), repr(exc.valid_data))


#: The schemas loaded through Flat, and the rule of each one's validates_schema hook.
FLAT = {"EffectSchema": schemas.check_effect, "DataSchema": None, "ProvenanceSchema": None, "DesignSchema": None,
        "SummarySchema": None, "HistoryEntrySchema": None}


@pytest.mark.parametrize("name", FLAT)
def test_flat_loads_what_nested_loads(name):
    nested = getattr(schemas, name)
    flat = Schema.from_dict({"x": Flat(nested, check=FLAT[name], required=True)})()
    reference = Schema.from_dict({"x": fields.Nested(nested, required=True)})()
    cases = [v for m in mappings(name) for v in variants(m)]
    assert len(cases) > 100
    for value in cases:
        assert outcome(flat, value) == outcome(reference, value), value


def test_the_schemas_given_to_flat_have_no_other_hooks():
    """A hook (validates_schema, pre_load, ...) would be skipped by Flat's load, except the one given as
    ``check``: a schema's own methods are none, or that one hook (EffectSchema._check calls check_effect)."""
    for name, check in FLAT.items():
        own = {k for k, v in vars(getattr(schemas, name)).items() if callable(v) and not k.startswith("__")}
        assert own == ({"_check"} if check else set()), (name, own)
