"""``evidence serve [--host H] [--port P]`` runs the app with the given address."""

from __future__ import annotations

from click.testing import CliRunner
from flask import Flask

from evidence.cli import main


def test_serve_runs_the_app_on_host_and_port(monkeypatch, built_settings):
    calls = []
    monkeypatch.setattr(Flask, "run", lambda self, **kwargs: calls.append(kwargs))
    env = {"EVIDENCE_DATA_DIR": str(built_settings.data_dir), "EVIDENCE_INSTANCE_DIR": str(built_settings.instance_dir)}
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--port", "8123"], env=env)
    assert result.exit_code == 0, result.output
    assert calls == [{"host": "0.0.0.0", "port": 8123, "debug": False, "use_reloader": False}]
    assert "http://0.0.0.0:8123/" in result.output
