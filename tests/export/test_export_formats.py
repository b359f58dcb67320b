"""The parameters export: JSON valid against the shipped schema, CSV and XLSX round-trip to the same numbers."""

from __future__ import annotations

import io
import json

import jsonschema
import pytest
from openpyxl import load_workbook

from evidence.export import jsonschema as export_schema
from evidence.export.columns import BY_NAME, COLUMNS, NAMES, SEPARATORS
from evidence.export.document import document, render, to_json
from evidence.export.tabular import LIST_SEPARATOR, from_csv, parse
from evidence.services.parameters import CONTRACT, Choice

SCHEMA = json.loads(export_schema.PATH.read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def _valid(doc: dict) -> None:
    errors = sorted(VALIDATOR.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_the_shipped_schema_is_current_and_a_valid_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert export_schema.PATH.read_text(encoding="utf-8") == export_schema.text(), \
        "run `python -m evidence.export.jsonschema` after changing evidence/export/columns.py"


@pytest.mark.parametrize("choice", [Choice(), Choice("DL", "knha"), Choice("EE", "z", 0.2), Choice("SJ", "knha")],
                         ids=str)
def test_exports_validate_against_the_shipped_schema(source, choice):
    doc = json.loads(to_json(document(source, choice)))
    _valid(doc)
    assert list(doc) == ["schema", "dataset_version", "generated_at", "settings", "parameters"]
    assert doc["settings"]["method"] == choice.method and doc["settings"]["level"] == 0.95
    assert doc["parameters"], "the corpus has parameters"
    for p in doc["parameters"]:
        assert tuple(p)[:len(CONTRACT)] == CONTRACT


def test_every_field_pooling_produces_has_a_column(source, built_settings):
    """A new field in services/pooling.py must be added to the export's column table (and the schema)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from evidence.db.models import Parameter
    from evidence.db.session import make_engine

    engine = make_engine(built_settings.database_url, readonly=True)
    with Session(engine) as session:
        produced = set().union(*(set(r) for r in session.execute(select(Parameter.result)).scalars()))
    engine.dispose()
    assert produced - {"rows", "sensitivity", "study_effects", "small_study_test"} <= set(NAMES)


def test_columns_explain_every_field_in_both_languages():
    assert len(set(NAMES)) == len(NAMES)
    for c in COLUMNS:
        assert c.en.strip() and c.da.strip(), c.name
        props = SCHEMA["$defs"]["parameter"]["properties"][c.name]
        assert ("null" in props["type"]) == c.nullable, c.name


def test_csv_round_trips_to_the_same_values_as_the_json(source):
    doc = document(source, Choice("DL", "knha"))
    body = render(doc, "csv").body
    assert body.startswith(b"\xef\xbb\xbf"), "a BOM, so Excel reads UTF-8"
    text = body.decode("utf-8-sig")
    assert text.split("\r\n", 1)[0] == ",".join(NAMES)
    assert text.count("\r\n") == len(doc["parameters"]) + 1
    assert "rows" not in NAMES and "sensitivity" not in NAMES
    back = from_csv(body)
    assert len(back) == len(doc["parameters"])
    for row, p in zip(back, doc["parameters"]):
        for name in NAMES:
            assert row[name] == p[name], (p["id"], name)


def test_csv_quotes_like_rfc_4180():
    assert parse("studies", "a;b") == ["a", "b"]
    doc = {"parameters": [{**dict.fromkeys(NAMES), "id": 'x,"y"', "studies": ["a", "b"], "notes": [],
                           "strength_reasons": ["line\nbreak"], "target_groups_pooled": [], "estimate": 0.1}]}
    text = render({**doc, "dataset_version": "0" * 16, "settings": {"method": "REML", "test": "z"}},
                  "csv").body.decode("utf-8-sig")
    assert '"x,""y"""' in text and '"line\nbreak"' in text and f"a{LIST_SEPARATOR}b" in text


def test_xlsx_round_trips_and_explains_every_column(source):
    doc = document(source)
    book = load_workbook(io.BytesIO(render(doc, "xlsx").body))
    assert book.sheetnames == ["parameters", "columns", "about"]
    rows = list(book["parameters"].iter_rows(values_only=True))
    assert list(rows[0]) == list(NAMES)
    assert len(rows) == len(doc["parameters"]) + 1
    for values, p in zip(rows[1:], doc["parameters"]):
        for name, value in zip(NAMES, values):
            expected = p[name]
            if BY_NAME[name].type in SEPARATORS:
                assert (value or "") == SEPARATORS[BY_NAME[name].type].join(expected), (p["id"], name)
            elif isinstance(expected, float):
                # openpyxl writes 16 significant digits (Excel itself shows 15)
                assert value == pytest.approx(expected, rel=1e-15, abs=0), (p["id"], name)
            else:
                assert value == expected, (p["id"], name)
    explained = {r[0]: r for r in book["columns"].iter_rows(min_row=2, values_only=True)}
    assert set(explained) == set(NAMES)
    assert all(r[2] and r[3] for r in explained.values()), "English and Danish for every column"
    about = dict(book["about"].iter_rows(values_only=True))
    assert about["dataset_version"] == doc["dataset_version"]


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_exporting_one_build_twice_gives_identical_bytes(source, fmt):
    assert render(document(source), fmt).body == render(document(source), fmt).body


def test_docs_explain_every_column_and_the_csv_choices():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    missing = [name for name in NAMES if f"`{name}`" not in docs]
    assert not missing, f"add to docs/api.md: {missing}"
    assert "byte-order mark" in docs and "Power Query" in docs
