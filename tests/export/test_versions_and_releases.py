"""dataset_version changes with the data and only then; releases are immutable, checksummed and changelogged."""

from __future__ import annotations

import hashlib
import json
import re

import jsonschema
from export_helpers import edit_study, load_source

from evidence.export import jsonschema as export_schema
from evidence.export import release as releases

SCHEMA = json.loads(export_schema.PATH.read_text(encoding="utf-8"))

BCG_RR = "bcg-vaccination.tuberculosis-trial-populations.tuberculosis.no-intervention.not-stated.RR"


def _version(cli) -> str:
    result = cli("build")
    assert result.exit_code == 0, result.output
    return json.loads(cli("stats").output)["dataset_version"]


def test_dataset_version_changes_when_and_only_when_the_data_changes(cli, settings):
    first = _version(cli)
    assert _version(cli) == first, "rebuilding unchanged data keeps the version"
    edit_study(settings.data_dir, "aronson-1948", r"^(\s+ai:) 4$", r"\1 5")
    changed = _version(cli)
    assert changed != first, "one number in one study changes the version"
    assert _version(cli) == changed
    edit_study(settings.data_dir, "aronson-1948", r"^(\s+ai:) 5$", r"\1 4")
    assert _version(cli) == first, "the version is a content hash: the same data, the same version"


def test_export_command_writes_each_format(cli, settings, tmp_path):
    assert cli("build").exit_code == 0
    for fmt in ("json", "csv", "xlsx"):
        out = tmp_path / f"p.{fmt}"
        result = cli("export", "parameters", "--format", fmt, "--method", "DL", "--test", "knha", "-o", str(out))
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 1000
    doc = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert doc["settings"] == {"method": "DL", "test": "knha", "level": 0.95, "rho": 0.8}
    stdout = cli("export", "parameters")
    assert json.loads(stdout.output)["settings"]["method"] == "REML"
    bad = cli("export", "parameters", "--method", "XYZ")
    assert bad.exit_code != 0 and "XYZ" in bad.output


def test_export_without_a_build_says_what_to_do(cli, settings):
    from evidence.db.models import Base
    from evidence.db.session import make_engine

    if settings.sqlite_path is None:  # a server database may hold an earlier test's build
        engine = make_engine(settings.database_url)
        Base.metadata.drop_all(engine)
        engine.dispose()
    result = cli("export", "parameters")
    assert result.exit_code != 0 and "evidence build" in result.output


def test_release_is_complete_checksummed_and_never_overwritten(cli, settings):
    assert cli("build").exit_code == 0
    result = cli("release")
    assert result.exit_code == 0, result.output
    (made,) = releases.releases(settings.releases_dir)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}-[0-9a-f]{8}", made.name)
    assert made.dataset_version in result.output and made.dataset_version.startswith(made.name[-8:])
    names = {p.name for p in made.path.iterdir()}
    assert names == {"evidence-parameters.json", "evidence-parameters.csv", "evidence-parameters.xlsx",
                     "manifest.json", "CHANGELOG.md"}
    jsonschema.validate(json.loads((made.path / "evidence-parameters.json").read_bytes()), SCHEMA,
                        cls=jsonschema.Draft202012Validator)
    for fname, meta in made.manifest["files"].items():
        body = (made.path / fname).read_bytes()
        assert hashlib.sha256(body).hexdigest() == meta["sha256"] and len(body) == meta["bytes"]
    changelog = (made.path / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "every parameter is new" in changelog and BCG_RR in changelog
    again = cli("release")
    assert again.exit_code != 0 and "never overwritten" in again.output
    assert cli("release", "--name", "../escape").exit_code != 0
    assert not (settings.releases_dir.parent / "escape").exists()


def test_changelog_lists_added_removed_and_changed_parameters(cli, settings):
    assert cli("build").exit_code == 0
    assert cli("release", "--name", "first").exit_code == 0
    edit_study(settings.data_dir, "aronson-1948", r"^(\s+ai:) 4$", r"\1 5")
    assert cli("build").exit_code == 0
    result = cli("release", "--name", "second")
    assert result.exit_code == 0, result.output
    second = releases.find(settings.releases_dir, "second")
    assert second.manifest["previous"] == "first"
    text = (second.path / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "previous release: first" in text and "## Changed" in text
    line = next(ln for ln in text.splitlines() if ln.startswith(f"- `{BCG_RR}`"))
    assert "estimate" in line and "rows" in line and "→" in line
    assert "## Added" not in text and "## Removed" not in text
    assert "cbt-offenders" not in text, "parameters without the changed study are unchanged"
    # the same dataset released again: nothing changed, and the command says it is a repeat
    third = cli("release", "--name", "third")
    assert "No parameter was added, removed or changed." in \
        (settings.releases_dir / "third" / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "already released as second" in third.output


def test_compare_reports_added_and_removed(source):
    from evidence.export.changelog import compare

    old, new = source.parameters[:-1], source.parameters[1:]
    changes = compare(old, new)
    assert changes.added == [new[-1]["id"]] and changes.removed == [old[0]["id"]] and not changes.changed


def test_a_release_reads_back_as_the_same_parameters(cli, settings):
    assert cli("build").exit_code == 0
    assert cli("release", "--name", "r1").exit_code == 0
    read = releases.find(settings.releases_dir, "r1").source()
    assert read.parameters == load_source(settings).parameters
    assert releases.find(settings.releases_dir, read.dataset_version).name == "r1"
    assert releases.find(settings.releases_dir, "nope") is None
