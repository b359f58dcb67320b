"""The export command streams: the same bytes as the document rendered whole, from a fraction of the memory.

The memory itself is measured by a benchmark (docs/benchmarks.md), not here; these tests pin that
streaming changed nothing a reader can see.
"""

from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner

from evidence.cli import main
from evidence.export import stream
from evidence.export.document import document, render, to_json
from evidence.services.parameters import Choice, borrow_control_risk


@pytest.fixture
def export(built_settings):
    env = {"EVIDENCE_DATA_DIR": str(built_settings.data_dir), "EVIDENCE_INSTANCE_DIR": str(built_settings.instance_dir),
           "EVIDENCE_DATABASE_URL": built_settings.database_url, "EVIDENCE_INDEX_DIR": str(built_settings.index_dir)}

    def invoke(*args):
        result = CliRunner().invoke(main, ["export", "parameters", *args], env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    return invoke


@pytest.mark.parametrize("choice", [Choice(), Choice("DL", "knha")], ids=str)
def test_the_streaming_json_writer_writes_what_json_dumps_writes(source, choice):
    doc = document(source, choice)
    expected = (json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False) + "\n").encode("utf-8")
    assert to_json(doc) == expected
    empty = {**doc, "parameters": []}
    assert to_json(empty) == (json.dumps(empty, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
@pytest.mark.parametrize("options, choice",
                         [((), Choice()), (("--method", "DL", "--test", "knha"), Choice("DL", "knha"))],
                         ids=["stored", "DL-knha"])
def test_the_streamed_export_is_the_whole_document(export, source, tmp_path, monkeypatch, fmt, options, choice):
    """Read a few parameters at a time (a chunk of 3, so siblings straddle chunks), written as they come."""
    monkeypatch.setattr(stream, "CHUNK", 3)
    target = tmp_path / f"parameters.{fmt}"
    result = export("--format", fmt, *options, "-o", str(target))
    expected = render(document(source, choice), fmt).body
    assert target.read_bytes() == expected
    assert f"Wrote {len(source.parameters)} parameters" in result.output


def _rd_without_control_risk(p: dict) -> dict:
    """An RD sibling of the RR parameter ``p`` that lacks a control risk (the corpus has none such)."""
    rd = {**copy.deepcopy(p), "id": p["id"].rpartition(".")[0] + ".RD", "measure": "RD", "estimate": -0.05,
          "ci_low": -0.1, "ci_high": 0.0}
    rd.update(dict.fromkeys(("control_risk", "control_risk_ci_low", "control_risk_ci_high", "control_risk_source",
                             "treated_risk", "risk_difference_pp"), None))
    return rd


def test_siblings_are_finished_together_as_in_the_whole_list(source):
    """An RD borrows its control risk from its RR sibling: the stream finishes each sibling group together,
    and gives what borrow_control_risk gives over the whole list."""
    rr = [p for p in source.parameters if p["measure"] == "RR" and p["control_risk"] is not None]
    assert len(rr) >= 2, "the test corpus has RR parameters with a pooled control risk"
    whole = sorted(copy.deepcopy(source.parameters) + [_rd_without_control_risk(p) for p in rr[:2]],
                   key=lambda p: p["id"])
    expected = copy.deepcopy(whole)
    borrow_control_risk(expected)
    streamed = list(stream.finished(iter(copy.deepcopy(whole)), Choice()))
    assert streamed == expected
    borrowed = [p for p in streamed if p["measure"] == "RD" and "(as for the RR" in (p["control_risk_source"] or "")]
    assert len(borrowed) == 2 and all(p["control_risk"] is not None for p in borrowed)


def test_siblings_apart_in_the_stream_are_an_error(source):
    first, second = source.parameters[0], source.parameters[1]
    apart = [first, second, {**first, "id": first["id"].rpartition(".")[0] + ".ZZ"}]
    assert first["id"].rpartition(".")[0] != second["id"].rpartition(".")[0], "two groups"
    with pytest.raises(RuntimeError, match="not adjacent"):
        list(stream.finished(iter(apart), Choice()))


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_the_export_to_standard_output_is_the_same(export, source, fmt):
    result = export("--format", fmt)
    assert result.stdout_bytes == render(document(source), fmt).body
