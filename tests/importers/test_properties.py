"""Property tests: whatever bytes or text the three readers get, they return drafts and located
problems — never a traceback. The CSV pipeline is followed through matching and checking too."""

from __future__ import annotations

import shutil

import pytest
from fixture_data import assemble_vocabularies, study_file
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from import_helpers import run_import, tree_hash

from importers.bibtex import parse_bibtex
from importers.csvfile import DATA_COLUMNS, ROW_COLUMNS, read_table
from importers.draft import Draft
from importers.plan import Importer, Plan
from importers.problems import ImportProblem
from importers.ris import parse_ris
from importers.studies import CsvOptions, table_to_drafts

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
OPTIONS = CsvOptions("cbt-offenders", "offenders", "recidivism", "control", None, None, "A review")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    target = tmp_path_factory.mktemp("prop") / "data"
    (target / "studies").mkdir(parents=True)
    assemble_vocabularies(target / "vocabularies")  # ashworth-1992 is a test fixture (writing to learn)
    for sid in ("guerra-1990", "ashworth-1992"):
        shutil.copy(study_file(sid), target / "studies")
    return target


@pytest.fixture(scope="module")
def importer(data_dir):
    importer = Importer(data_dir, file_name="x.csv", by="hypothesis", today="2026-01-01")
    plan = Plan()
    assert importer.load(plan), plan.problems
    return importer


def _clean(drafts, problems) -> None:
    assert all(isinstance(d, Draft) for d in drafts)
    for problem in problems:
        assert isinstance(problem, ImportProblem)
        assert str(problem).startswith(problem.path)
        assert problem.message


def _csv(data: bytes, importer: Importer) -> None:
    table, problems = read_table(data, "x.csv")
    _clean([], problems)
    if table is None:
        assert problems
        return
    drafts, problems, notices = table_to_drafts(table, OPTIONS, importer.vocabulary, "x.csv", importer.history)
    _clean(drafts, problems)
    plan = Plan()
    importer.apply(drafts, plan, create=True)
    _clean([], plan.problems)
    for change in plan.changes:
        assert change.new.endswith("\n")


# -- strategies ----------------------------------------------------------------------------------

CELLS = st.one_of(
    st.sampled_from(["", "NA", "0", "1", "12", "250", "-3", "0,65", "0.65", "1e999", "nan", "inf", "1_000",
                     "10.5", "Guerra (1990)", "Robinson (1995a)", "Davis, BH", "rct", "random", "cohort", "OR",
                     "smd", "GEN", "x", '"', "1995a", "2999", "Møller et al", "juvenile-offenders", "Not A Slug",
                     "10.1037/x", "https://doi.org/10.1/X", "\u2212", " "]),
    st.text(max_size=8),
    st.integers(-5, 500).map(str),
    st.floats().map(str),
)
HEADERS = st.sampled_from(list(DATA_COLUMNS + ROW_COLUMNS) + ["Study", "Target group", "alloc", "extra", "", "ai"])


FORMS = {"counts": ["ai", "bi", "ci", "di"], "events": ["ai", "n1i", "ci", "n2i"],
         "means": ["m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"], "effect": ["yi", "vi"], "se": ["yi", "sei"]}
NUMBERS = st.one_of(st.integers(0, 300).map(str), st.integers(0, 300).map(str), CELLS,
                    st.floats(0.01, 50, allow_nan=False).map(lambda x: f"{x:.3f}"))
STUDIES = st.one_of(st.sampled_from(["Guerra (1990)", "Guerra (1990)", "Robinson (1995a)", "Rosenthal et al (1960)",
                                     "Ferguson & Simes (1949)", "Edinburgh", "Davis, BH (1990)", "Ashworth (1992)",
                                     "", "1", "Møller (2001)"]), CELLS)


@st.composite
def csv_documents(draw) -> bytes:
    """Mostly plausible extraction sheets, with junk mixed in."""
    form = draw(st.sampled_from(sorted(FORMS)))
    extra = draw(st.lists(HEADERS, max_size=3))
    columns = draw(st.permutations(["study", *FORMS[form], *extra]))
    delimiter = draw(st.sampled_from([",", ";"]))
    rows = []
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.integers(0, 2)):  # a clean row: names and whole numbers
            row = [draw(st.sampled_from(["Guerra (1990)", "Robinson (1995a)", "Edinburgh", "Davis, BH (1990)"])
                        if c == "study" else st.integers(1, 300).map(str) if c in DATA_COLUMNS
                        else st.sampled_from(["", "rct", "x"])) for c in columns]
        else:
            row = [draw(STUDIES if c == "study" else NUMBERS if c in DATA_COLUMNS else CELLS) for c in columns]
        if delimiter == ";":
            row = [c.replace(".", ",") if draw(st.booleans()) else c for c in row]
        rows.append(row)
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(delimiter.join(r) for r in [columns, *rows])
    return (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + text.encode("utf-8")


BIB_VALUES = st.one_of(
    st.sampled_from(["{World Health Organization}", "M{\\o}ller, Jens and others", "{\\\"u}ber", "2001",
                     "in press", "{", "}", "\\", "$x^2$", "\\url{http://x.org}", "and", ",", "10.1/x",
                     "www.example.org", "{Smith}, {J}", "von Last, Jr, First", "a and b and", "\\emph{",
                     "2001--2002", "0999", "others"]),
    st.text(max_size=12),
)


GOOD_FIELDS = [("author", "{Guerra, Nancy G. and Slaby, Ronald G.}"), ("title", "{Cognitive mediators}"),
               ("year", "{1990}"), ("doi", "{10.1037/0012-1649.26.2.269}"), ("journal", "{Developmental Psychology}")]


@st.composite
def bibtex_documents(draw) -> str:
    """Entries that are mostly well-formed, with random fields, values and breakage mixed in."""
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["article", "book", "techreport", "misc", "ARTICLE", "string", "comment",
                                     "preamble", "incollection"]))
        key = draw(st.sampled_from(["a", "b", "a", "x y", "", "k{"]))
        fields = [(k, v) for k, v in GOOD_FIELDS if draw(st.integers(0, 4))]
        for k, v, q in draw(st.lists(st.tuples(st.sampled_from(["author", "title", "year", "doi", "url", "journal",
                                                                "Author", "date", "pages", "editor", "number"]),
                                               BIB_VALUES, st.sampled_from(["{}", '""', ""])), max_size=3)):
            fields.append((k, f"{q[:1]}{v}{q[1:]}"))
        body = ",\n".join(f"  {k} = {v}" for k, v in draw(st.permutations(fields)))
        parts.append(f"@{kind}{{{key},\n{body}\n}}" if draw(st.integers(0, 4)) else f"@{kind}{{{key}, {body}")
    return "\n\n".join(parts)


RIS_LINES = st.one_of(
    st.sampled_from(["TY  - JOUR", "TY  - RPRT", "ER  - ", "AU  - Guerra, N.", "PY  - 2001", "PY  - ", "Y1  - 1990///",
                     "TI  - A title", "T1  - ", "DO  - 10.1/x", "UR  - http://x.org", "UR  - x; y", "  continued",
                     "   AF line", "PT J", "FN Clarivate", "SP  - 1", "EP  - 2", "AB  - ", "KW  - a", "", "XX  - ?",
                     "ER", "EF", "DI 10.1/y", "PY 2020", "AU Smith, J", "TI Title"]),
    st.text(max_size=12),
)


# -- the properties --------------------------------------------------------------------------------

@FAST
@given(st.binary(max_size=600))
def test_csv_reader_on_arbitrary_bytes(importer, data):
    _csv(data, importer)


@FAST
@given(st.text(max_size=600))
def test_csv_reader_on_arbitrary_text(importer, text):
    _csv(text.encode("utf-8"), importer)


@FAST
@given(csv_documents())
def test_csv_reader_on_spreadsheet_shaped_text(importer, data):
    _csv(data, importer)


@FAST
@given(st.binary(max_size=600))
def test_bibtex_reader_on_arbitrary_bytes(data):
    _clean(*parse_bibtex(data, "x.bib"))


@FAST
@given(st.one_of(st.text(max_size=600), bibtex_documents()))
def test_bibtex_reader_on_arbitrary_and_bibtex_shaped_text(text):
    _clean(*parse_bibtex(text.encode("utf-8"), "x.bib"))


@FAST
@given(st.binary(max_size=600))
def test_ris_reader_on_arbitrary_bytes(data):
    _clean(*parse_ris(data, "x.ris"))


@st.composite
def ris_documents(draw) -> str:
    """Records that are mostly well-formed (TY … ER), with random lines mixed in."""
    wos = draw(st.booleans())
    lines = ["FN Clarivate Analytics Web of Science", "VR 1.0"] if wos else []
    for _ in range(draw(st.integers(0, 3))):
        good = (["PT J", "AU Guerra, NG", "   Slaby, RG", "TI Cognitive mediators", "PY 1990", "DI 10.1/x"] if wos
                else ["TY  - JOUR", "AU  - Guerra, Nancy G.", "TI  - Cognitive mediators", "PY  - 1990",
                      "DO  - 10.1/x"])
        body = [line for line in good if draw(st.integers(0, 5))] + draw(st.lists(RIS_LINES, max_size=3))
        lines += draw(st.permutations(body)) if not draw(st.integers(0, 3)) else body
        if draw(st.integers(0, 5)):
            lines.append("ER" if wos else "ER  - ")
    return "\n".join(lines)


@FAST
@given(st.one_of(st.text(max_size=600), st.lists(RIS_LINES, max_size=25).map("\n".join), ris_documents()))
def test_ris_reader_on_arbitrary_and_ris_shaped_text(text):
    _clean(*parse_ris(text.encode("utf-8"), "x.ris"))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["csv", "bibtex", "ris"]),
       data=st.one_of(st.binary(max_size=300), csv_documents(), bibtex_documents().map(str.encode)))
def test_the_command_never_crashes_and_never_writes_on_error(data_dir, tmp_path_factory, kind, data):
    path = tmp_path_factory.mktemp("input") / f"input.{kind}"
    path.write_bytes(data)
    before = tree_hash(data_dir)
    options = ["--intervention", "cbt-offenders", "--target-group", "offenders", "--outcome", "recidivism",
               "--source", "A review"] if kind == "csv" else []
    result = run_import(data_dir, kind, path, *options, "--dry-run")  # exceptions propagate: no traceback allowed
    assert result.exit_code in (0, 1), result.output
    if result.exit_code == 1:
        assert "nothing was written" in result.output
    assert tree_hash(data_dir) == before
