"""The price catalogue: unit costs of outcome events and states, each from a public source.

One YAML file per price in ``data/prices/<id>.yaml`` (the file name is the
id). A price holds only what its source states: the amount in kroner, what it
is per (``event``, ``day``, ``month``, ``year``), its price year, who pays
(``kommune``, ``region``, ``stat``, or a split ``{kommune: 0.5, stat: 0.5}``
where the source gives one), the outcomes it prices, and the source with its
address, where in it, and the figure quoted as printed. Problems are reported
like the vocabularies': ``data/prices/x.yaml:7: amount: message``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .problems import Problem, display_path, flatten
from .schemas import Text, slug_field
from .yamlio import YamlError, load

PAYERS = ("kommune", "region", "stat")
UNITS = ("event", "day", "month", "year")
LANGS = ("da", "en")


class _Source(Schema):
    title = Text(required=True)
    publisher = Text(required=True)
    url = fields.Url(required=True, schemes={"http", "https"})
    location = Text(required=True, metadata={"description": "where in the source: page, table, row"})
    quote = Text(required=True, metadata={"description": "the figure as the source prints it"})


class _Payer(fields.Field):
    """``kommune`` or ``{kommune: 0.6, stat: 0.4}``: shares of known payers summing to 1."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = {value: 1}
        if not isinstance(value, dict) or not value:
            raise ValidationError(f"must be one of {', '.join(PAYERS)} or a mapping of them to shares")
        out = {}
        for name, share in value.items():
            if name not in PAYERS:
                raise ValidationError(f"unknown payer '{name}': use {', '.join(PAYERS)}")
            if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
                raise ValidationError(f"the share of '{name}' must be a number in (0, 1]")
            out[name] = float(share)
        if not math.isclose(sum(out.values()), 1.0, abs_tol=1e-9):
            raise ValidationError(f"the shares must add up to 1 (they add up to {sum(out.values()):g})")
        return out


class PriceSchema(Schema):
    id = fields.String(required=True, validate=slug_field)
    label = fields.Dict(keys=fields.String(validate=validate.OneOf(LANGS)), values=Text(), required=True)
    amount = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=0, min_inclusive=False))
    unit = fields.String(required=True, validate=validate.OneOf(UNITS))
    price_year = fields.Integer(required=True, strict=True, validate=validate.Range(1990, 2100))
    payer = _Payer(required=True)
    outcomes = fields.List(fields.String(validate=slug_field), required=True, validate=validate.Length(min=1))
    source = fields.Nested(_Source, required=True)
    notes = fields.Dict(keys=fields.String(validate=validate.OneOf(LANGS)), values=Text(), load_default=dict)

    @validates_schema
    def _labels(self, data, **_):
        for lang in LANGS:
            if lang not in data.get("label", {}):
                raise ValidationError(f"a label in '{lang}' is required", "label")


@dataclass(frozen=True)
class Price:
    id: str
    label_da: str
    label_en: str
    amount: float
    unit: str
    price_year: int
    payer: dict  # payer -> share, summing to 1
    outcomes: tuple[str, ...]
    source: dict
    notes_da: str | None = None
    notes_en: str | None = None

    def label(self, lang: str = "da") -> str:
        return self.label_en if lang == "en" else self.label_da

    def as_dict(self) -> dict:
        """The catalogue entry as the API serves it."""
        return {"id": self.id, "label_da": self.label_da, "label_en": self.label_en, "amount": self.amount,
                "currency": "DKK", "unit": self.unit, "price_year": self.price_year, "payer": dict(self.payer),
                "outcomes": list(self.outcomes), "source": dict(self.source),
                "notes_da": self.notes_da, "notes_en": self.notes_en}


def load_prices(prices_dir: Path, outcomes: set[str] | None = None) -> tuple[list[Price], list[Problem]]:
    """Every price under ``prices_dir`` (sorted by id) and every problem, located.

    ``outcomes`` (the vocabulary's outcome slugs), when given, must hold every
    outcome a price names. A missing folder is an empty catalogue.
    """
    prices, problems = [], []
    if not prices_dir.is_dir():
        return prices, problems
    schema = PriceSchema()
    for path in sorted(prices_dir.glob("*.yaml")):
        shown = display_path(path)
        try:
            loaded = load(path)
        except YamlError as exc:
            problems.append(Problem(shown, "", str(exc), exc.line))
            continue
        if not isinstance(loaded.data, dict):
            problems.append(Problem(shown, "", "must be a mapping (one price per file)", 1))
            continue
        try:
            data = schema.load(loaded.data)
        except ValidationError as exc:
            problems.extend(Problem(shown, f, m, loaded.line_of(f)) for f, m in flatten(exc.messages))
            continue
        if data["id"] != path.stem:
            problems.append(Problem(shown, "id", f"must equal the file name '{path.stem}'", loaded.line_of("id")))
            continue
        unknown = [(i, o) for i, o in enumerate(data["outcomes"]) if outcomes is not None and o not in outcomes]
        for i, slug in unknown:
            problems.append(Problem(shown, f"outcomes.{i}", f"unknown outcome '{slug}'",
                                         loaded.line_of(f"outcomes.{i}")))
        if unknown:
            continue
        prices.append(Price(data["id"], data["label"]["da"], data["label"]["en"], data["amount"], data["unit"],
                            data["price_year"], data["payer"], tuple(data["outcomes"]), data["source"],
                            data["notes"].get("da"), data["notes"].get("en")))
    return prices, problems

