"""The price catalogue: every repository price valid and sourced; bad files reported with file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidence.records.prices import load_prices
from evidence.records.validate import load_corpus

ROOT = Path(__file__).resolve().parents[2]
GOOD = """id: {id}
label:
  da: Et døgn
  en: A day
amount: 100
unit: day
price_year: 2020
payer: stat
outcomes:
  - recidivism
source:
  title: T
  publisher: P
  url: https://example.org/page
  location: table 1
  quote: 100 kr.
"""


def test_every_repository_price_is_valid_and_sourced():
    corpus = load_corpus(ROOT / "data")
    assert not corpus.problems, [str(p) for p in corpus.problems]
    prices, problems = load_prices(ROOT / "data" / "prices", set(corpus.vocabulary.terms["outcomes"]))
    assert not problems and len(prices) >= 7
    for p in prices:
        assert p.source["url"].startswith(("http://", "https://")) and p.source["quote"] and p.price_year


@pytest.mark.parametrize("old, new, field, message", [
    ("amount: 100", "amount: -5", "amount", "greater than"),
    ("unit: day", "unit: week", "unit", "Must be one of"),
    ("payer: stat", "payer: bank", "payer", "unknown payer 'bank'"),
    ("payer: stat", "payer: {kommune: 0.5, stat: 0.4}", "payer", "add up to 1"),
    ("  - recidivism", "  - recidivsm", "outcomes.0", "unknown outcome 'recidivsm'"),
    ("  url: https://example.org/page\n", "", "source.url", "Missing data"),
    ("price_year: 2020", "price_year: '2020'", "price_year", "Not a valid integer"),
    ("  da: Et døgn\n", "", "label", "a label in 'da' is required"),
])
def test_a_bad_price_is_reported_with_file_line_and_field(data_dir, old, new, field, message):
    path = data_dir / "prices" / "zz-test.yaml"
    text = GOOD.format(id="zz-test")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    problems = [p for p in load_corpus(data_dir).problems if p.path.endswith("zz-test.yaml")]
    assert problems, "the bad price was not reported"
    assert any(p.field == field and message in p.message for p in problems), [str(p) for p in problems]
    assert all(p.line for p in problems if p.field), [str(p) for p in problems]


def test_the_id_must_be_the_file_name_and_the_yaml_well_formed(data_dir):
    (data_dir / "prices" / "zz-a.yaml").write_text(GOOD.format(id="zz-b"), encoding="utf-8")
    (data_dir / "prices" / "zz-c.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    problems = {p.path.rsplit("/", 1)[-1]: p for p in load_corpus(data_dir).problems}
    assert problems["zz-a.yaml"].field == "id" and "zz-a" in problems["zz-a.yaml"].message
    assert "not valid YAML" in problems["zz-c.yaml"].message


def test_the_validate_command_fails_on_a_bad_price(cli, settings):
    (settings.data_dir / "prices" / "zz-test.yaml").write_text(GOOD.format(id="zz-test").replace("amount: 100",
                                                                                               "amount: 0"))
    result = cli("validate")
    assert result.exit_code == 1 and "zz-test.yaml:5: amount:" in result.output
