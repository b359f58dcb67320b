"""Pooled results held encoded read back as the database gives them, and written to it as before."""

from __future__ import annotations

import json
import math

import pytest
from sqlalchemy import insert, select

from evidence.db.models import Base, Parameter
from evidence.db.session import EncodedJSON, make_engine
from evidence.services.packed import ROW_COLUMNS, PackedResults, pack, parameter_row
from evidence.stats import units


def _result(pid: str, **fields) -> dict:
    out = dict.fromkeys(ROW_COLUMNS)
    out.update(id=pid, intervention="i", target_group="t", outcome="o", followup="any", measure="SMD",
               method="REML", test="z", k=1, estimate=0.5, se=0.1, ci_low=0.3, ci_high=0.7, pval=0.01, tau2=0.0,
               evidence_level=1, strength=2, direction="none", studies=["s1"], rollup=False)
    out.update(fields)
    return out


def _results():
    converted = units.Converted(0.25, "exp(log-scale value)")
    return [_result("a", estimate=0.1, rows=[{"yi": -0.0, "vi": math.inf}], natural=converted),
            _result("b", notes=["x"], studies=["s1", "s2"], strength=0),
            _result("c", estimate=3, sensitivity={"rho": [], "pair": (1, 2)}, studies=[], strength=4)]


def test_packed_results_read_back_as_the_database_gives_them():
    results = _results()
    packed = PackedResults(pack(r) for r in results)
    assert len(packed) == 3
    as_stored = [json.loads(json.dumps(r)) for r in results]
    assert list(packed) == as_stored and packed == as_stored
    assert packed[1] == as_stored[1] and packed[-1] == as_stored[-1]
    assert packed[1:] == as_stored[1:] and packed[:0] == []
    assert packed[0]["natural"] == 0.25 and type(packed[0]["natural"]) is float
    assert packed[2]["sensitivity"]["pair"] == [1, 2]
    assert math.copysign(1, packed[0]["rows"][0]["yi"]) == -1  # -0.0 stays -0.0
    assert packed[0]["rows"][0]["vi"] == math.inf
    assert type(packed[2]["estimate"]) is int
    with pytest.raises(IndexError):
        packed[3]
    assert packed.summaries() == [{"id": r["id"], "studies": r["studies"], "strength": r["strength"]}
                                  for r in results]


def test_each_read_is_a_fresh_copy():
    packed = PackedResults([pack(_results()[0])])
    packed[0]["estimate"] = 99.0
    assert packed[0]["estimate"] == 0.1


def test_rows_hold_the_columns_and_the_result_as_its_json_text():
    results = _results()
    rows = PackedResults(pack(r) for r in results).rows(1, 3)
    assert [r["result"] for r in rows] == [json.dumps(r) for r in results[1:]]
    assert [{c: r[c] for c in ROW_COLUMNS} for r in rows] == [{c: r[c] for c in ROW_COLUMNS} for r in results[1:]]


def test_the_database_holds_the_same_text_either_way(tmp_path):
    results = _results()
    texts = {}
    for name, rows in (("plain", [parameter_row(r) for r in results]),
                       ("encoded", [{**r, "result": EncodedJSON(r["result"])}
                                    for r in PackedResults(pack(r) for r in results).rows(0, 3)])):
        engine = make_engine(f"sqlite:///{tmp_path / name}.db")
        with engine.begin() as connection:
            Base.metadata.create_all(connection)
            connection.execute(insert(Parameter), rows)
        with engine.connect() as connection:
            texts[name] = connection.exec_driver_sql("SELECT id, result, studies, estimate FROM parameters "
                                                     "ORDER BY id").all()
            assert connection.execute(select(Parameter.result).where(Parameter.id == "a")).scalar_one()["natural"] \
                == 0.25
        engine.dispose()
    assert texts["encoded"] == texts["plain"]
    assert texts["plain"][0][1] == json.dumps(results[0])
