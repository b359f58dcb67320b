"""examples/som_calculator.py: run against a JSON export file and against a live server."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from api_helpers import CBT
from werkzeug.serving import make_server

from evidence.export.document import document, to_json
from evidence.services.parameters import load_current

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "som_calculator.py"


@pytest.fixture(scope="module")
def export_file(built_settings, tmp_path_factory):
    from sqlalchemy.orm import Session

    from evidence.db.session import make_engine

    engine = make_engine(built_settings.database_url, readonly=True)
    with Session(engine) as session:
        body = to_json(document(load_current(session)))
    engine.dispose()
    path = tmp_path_factory.mktemp("export") / "evidence-parameters.json"
    path.write_bytes(body)
    return path


def _run(*args: str) -> dict:
    done = subprocess.run([sys.executable, str(SCRIPT), *args, "--json"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_calculator_on_an_export_file(export_file):
    doc = json.loads(export_file.read_text(encoding="utf-8"))
    p = next(x for x in doc["parameters"] if x["id"] == CBT)
    out = _run("--file", str(export_file), "--parameter", CBT, "--participants", "200")
    assert out["baseline_risk"] == p["control_risk"] and out["dataset_version"] == doc["dataset_version"]
    # net successes: fewer reoffenders than would have reoffended anyway, = -N x risk difference
    assert out["net_successes"] == pytest.approx(-200 * p["risk_difference_pp"] / 100, rel=1e-9)
    assert out["ci_low"] == pytest.approx(-200 * p["risk_difference_pp_ci_high"] / 100, rel=1e-9)
    assert out["ci_high"] == pytest.approx(-200 * p["risk_difference_pp_ci_low"] / 100, rel=1e-9)
    assert out["ci_low"] < out["net_successes"] < out["ci_high"]
    assert out["pi_low"] < out["ci_low"] and out["without_intervention"] - out["with_intervention"] == \
        pytest.approx(out["net_successes"])


def test_calculator_against_a_running_server_with_a_baseline(app, export_file):
    spec = importlib.util.spec_from_file_location("som_calculator", SCRIPT)
    calculator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(calculator)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        api = f"http://127.0.0.1:{server.server_port}"
        parameter, version = calculator.fetch_parameter(api, CBT, "DL", "knha", None)
        assert parameter["method"] == "DL" and version == parameter["dataset_version"]
        result = calculator.successes(parameter, 150, 0.45)
        from_api = app.test_client().get(f"/api/v1/parameters/{CBT}?method=DL&test=knha&baseline_risk=0.45")
        assert result["net_successes"] == pytest.approx(-150 * from_api.get_json()["risk_difference_pp"] / 100)
        with pytest.raises(SystemExit, match="cbt-offenders"):
            calculator.fetch_parameter(api, CBT.replace("offenders.recid", "ofenders.recid"), "REML", "z", None)
    finally:
        server.shutdown()
        thread.join(timeout=10)
