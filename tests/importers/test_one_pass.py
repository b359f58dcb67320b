"""Every problem of an import in one pass, each named by file, row and column (never a record path)."""

from __future__ import annotations

import re

from import_helpers import run_import, tree_hash

CBT = ["--intervention", "cbt-offenders", "--target-group", "offenders", "--outcome", "recidivism",
       "--source", "Landenberger & Lipsey (2005)"]


def _refused(data_dir, path, *options) -> list[str]:
    before = tree_hash(data_dir)
    result = run_import(data_dir, "csv", path, *options)
    assert result.exit_code == 1, result.output
    assert tree_hash(data_dir) == before
    return [line[line.index(path.name):] for line in result.output.splitlines() if path.name + ":" in line]


def test_data_errors_and_unknown_slugs_come_together(small_data_dir, tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("study,intervention,target_group,ai,bi,ci,di\n"
                    "Smith (2001),cbt-ofenders,offenders,10,20,ten,30\n"
                    "Jones (2002),cbt-offenders,offendrs,10,20,15,30\n"
                    "Lee (2003),cbt-offenders,offenders,11,19,23,29\n", encoding="utf-8")
    lines = _refused(small_data_dir, path, *CBT)
    assert lines == [
        "e.csv:row 2: ci: 'ten' is not a number",
        "e.csv:row 2: intervention: unknown intervention 'cbt-ofenders'; did you mean 'cbt-offenders'?",
        "e.csv:row 3: target_group: unknown target group 'offendrs'; did you mean 'offenders' or"
        " 'adult-offenders' or 'juvenile-offenders'?",
    ]


def test_an_unknown_option_slug_is_said_once_for_good_and_bad_rows(small_data_dir, tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("study,ai,bi,ci,di\nSmith (2001),10,20,ten,30\nLee (2003),11,19,23,29\n", encoding="utf-8")
    lines = _refused(small_data_dir, path, *CBT[:5], "recidivsm", *CBT[6:])
    assert lines.count("o.csv: --outcome: unknown outcome 'recidivsm'; did you mean 'recidivism'?") == 1, lines
    assert "o.csv:row 2: ci: 'ten' is not a number" in lines


def test_messages_name_columns_never_record_paths(small_data_dir, tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("study,measure,ai,bi,ci,di,n1i,n2i,yi,vi\n"
                    "A (2001),,30,,23,,20,40,,\n"
                    "B (2002),SMD,10,20,15,30,,,,\n"
                    "C (2003),,,,,,,,0.5,-1\n"
                    "D (2004),,10,20,15,30,,,,\n", encoding="utf-8")
    lines = _refused(small_data_dir, path, *CBT[:6], "--comparison", "no-such-comparison", *CBT[6:])
    assert len(lines) == 4, lines
    for line in lines:
        assert not re.search(r"\beffects\.\d|\bcitation\.|\bprovenance\.|\bdesign\.", line), line
    assert any(line.startswith("m.csv:row 2: ai: ") for line in lines)
    assert any(line.startswith("m.csv:row 3: measure: ") for line in lines)
    assert any(line.startswith("m.csv:row 4: vi: ") for line in lines)
    assert any(line.startswith("m.csv: --comparison: unknown comparison 'no-such-comparison'") for line in lines)
