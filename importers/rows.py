"""One row of an extraction table → one estimate: its study, terms, design and effect data.

Column names are metafor's ``escalc`` names (``ai``/``bi``/``ci``/``di``, ``m1i``/``sd1i``…,
``yi``/``vi``); :func:`read_row` checks a row against the project's schema and vocabulary and
says what is wrong with the file, row and column. :mod:`.studies` groups the estimates into
study drafts.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from sys import intern

from evidence.records.schemas import DESIGNS, MEASURES, MEASURES_OF_FORM, SLUG
from evidence.records.slugs import slugify
from evidence.records.vocabulary import FIELD_OF_KIND, Vocabulary

from .citation import clean_doi, fold, parse_year, split_names
from .csvfile import COUNT_COLUMNS, DATA_COLUMNS, KNOWN, Row, Table, parse_number
from .problems import ImportProblem

#: Design names used in extraction sheets and meta-analysis datasets → the schema's design types.
DESIGN_ALIASES = {
    "rct": "rct", "random": "rct", "randomised": "rct", "randomized": "rct", "randomised-controlled-trial": "rct",
    "randomized-controlled-trial": "rct", "experimental": "rct", "experiment": "rct",
    "cluster-rct": "cluster-rct", "cluster-randomised": "cluster-rct", "cluster-randomized": "cluster-rct",
    "crct": "cluster-rct",
    "quasi-experimental": "quasi-experimental", "quasi": "quasi-experimental", "qed": "quasi-experimental",
    "nonequiv": "quasi-experimental", "non-equivalent": "quasi-experimental", "nonequivalent": "quasi-experimental",
    "match": "quasi-experimental", "matched": "quasi-experimental", "alternate": "quasi-experimental",
    "systematic": "quasi-experimental",
    "controlled-before-after": "controlled-before-after", "cba": "controlled-before-after",
    "controlled-study": "controlled-study", "controlled": "controlled-study",
    "uncontrolled-before-after": "uncontrolled-before-after", "before-after": "uncontrolled-before-after",
    "pre-post": "uncontrolled-before-after",
    "systematic-review": "systematic-review",
}
DEFAULT_DESIGN = "controlled-study"
#: Effect fields that name vocabulary terms, with their command-line options.
TERM_FIELDS = {"intervention": "--intervention", "target_group": "--target-group", "outcome": "--outcome",
               "comparison": "--comparison"}
FORM_COLUMNS = {
    "counts": ("ai", "bi", "ci", "di", "n1i", "n2i"),
    "means": ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"),
    "effect": ("yi", "vi", "sei", "n1i", "n2i"),
}
_FORM_MARKERS = {"counts": ("ai", "bi", "ci", "di"), "means": ("m1i", "m2i", "sd1i", "sd2i"),
                 "effect": ("yi", "vi", "sei")}
# "Guerra (1990)", "Robinson (1995a)", "Smith, 2004": the year stands alone — no digit or letter right
# before it — so the digits of a registry id ("NCT00534404") or a number ("Study 123459") are not a year.
_STUDY = re.compile(r"(?P<who>.*?)[\s,]*(?<![0-9A-Za-z])\(?\s*(?P<year>\d{4})(?P<letter>[a-z])?\s*\)?")
FIRST_YEAR = 1900


@dataclass
class CsvOptions:
    intervention: str | None = None
    target_group: str | None = None
    outcome: str | None = None
    comparison: str | None = None
    measure: str | None = None
    design: str | None = None
    source: str | None = None


def resolve_design(text: str) -> str | None:
    return DESIGN_ALIASES.get(re.sub(r"[\s_/]+", "-", text.strip().lower()))


def _design_message(text: str) -> str:
    aliases = sorted(k for k, v in DESIGN_ALIASES.items() if k not in DESIGNS)
    return (f"'{text}' is not a design; use one of {', '.join(DESIGNS)}"
            f" (or a common name: {', '.join(aliases)})")


def descriptor_value(text: str, decimal_comma: bool):
    """A descriptor cell: a number when it reads back the same ("17", "0.5"), else the text."""
    if text == "":
        return None
    number = parse_number(text, decimal_comma)
    if not isinstance(number, str):
        canonical = str(number).replace(".", ",") if decimal_comma else str(number)
        if canonical == text:
            return number
    return text


@dataclass
class Estimate:
    """One row, read."""

    row: Row
    name: str
    citation: dict
    citation_columns: dict[str, str]  # "citation", "citation.year" -> the column (as written)
    design: str
    design_from: str  # the column (as written) or option the design came from
    country: str | None
    doi: str | None
    bibkey: str | None
    effect: dict
    sources: dict[str, str]  # effect field -> column (as written) or option it came from
    descriptors: dict
    esid: str | None = None  # the effect-size id: rows of one study with different ids are dependent estimates

    @property
    def group_key(self) -> tuple:
        return (fold(self.name), self.design, fold(self.country or ""), (self.doi or "").lower(), self.bibkey or "")


def _study(row: Row, table: Table, problems: list[ImportProblem]) -> tuple[str, dict, dict] | None:
    """The study's name, its citation (authors, et_al and year, or a label), and the columns they came from."""
    where = f"row {row.number}"
    study, author, year = (row.values.get(k, "") for k in ("study", "author", "year"))
    if author and year:
        parsed = parse_year(year)
        if parsed is None:
            problems.append(ImportProblem(table.path, where, table.headers["year"],
                                          f"'{year}' is not a year (like 1990, or 1995a for a second 1995 report)"))
            return None
        authors, et_al = split_names(author)
        if not authors:
            problems.append(ImportProblem(table.path, where, table.headers["author"], "no author name"))
            return None
        columns = {"citation": table.headers["author"], "citation.year": table.headers["year"]}
        return study or f"{author} ({year})", {"authors": authors, "et_al": et_al, "year": parsed[0]}, columns
    if (author or year) and not study:
        given, missing = ("author", "year") if author else ("year", "author")
        problems.append(ImportProblem(table.path, where, table.headers.get(missing, missing),
                                      f"empty: give the {missing} as well as the {given}, or a 'study' column"))
        return None
    column = table.headers.get("study", "study")
    if not study:
        problems.append(ImportProblem(table.path, where, column, "empty: name the study (\"Guerra (1990)\")"))
        return None
    columns = {"citation": column, "citation.year": column}
    m = _STUDY.fullmatch(study)
    if m and m.group("who").strip(" ,("):
        year, last = int(m.group("year")), dt.date.today().year + 1
        if FIRST_YEAR <= year <= last:
            authors, et_al = split_names(m.group("who").strip(" ,("))
            return study, {"authors": authors, "et_al": et_al, "year": year}, columns
        if "(" in study:  # "Guerra (2999)": written as a year, but not one — a typo, not a name
            problems.append(ImportProblem(table.path, where, column, f"{year} is not a year between {FIRST_YEAR}"
                                          f" and {last}: correct it, or give the year in a 'year' column"))
            return None
    if re.fullmatch(r"[\d\s.,#-]+", study):
        problems.append(ImportProblem(table.path, where, column,
                                      f"'{study}' is a number, not a study: "
                                      "give \"Author (Year)\" or the study's name"))
        return None
    return study, {"label": study}, columns


def _terms(row: Row, table: Table, options: CsvOptions, vocabulary: Vocabulary, problems: list[ImportProblem]):
    values, sources = {}, {}
    for name, option in TERM_FIELDS.items():
        cell = row.values.get(name, "")
        value = cell or getattr(options, name)
        sources[name] = table.headers[name] if cell else option
        where = f"row {row.number}" if cell else ""
        if value is None:
            if name != "comparison":
                problems.append(ImportProblem(table.path, f"row {row.number}", table.headers.get(name, name),
                                              f"no {name.replace('_', ' ')}: give {option} or a '{name}' column"))
                return None
            continue
        if not SLUG.match(value):
            kind = next(k for k, f in FIELD_OF_KIND.items() if f == name)
            hits = vocabulary.suggest(kind, slugify(value))
            hint = f"; did you mean {' or '.join(repr(h) for h in hits)}?" if hits else ""
            problems.append(ImportProblem(table.path, where, sources[name], f"'{value}' is not a vocabulary slug"
                                          f" (lower-case words joined by hyphens){hint}"))
            return None
        values[name] = intern(value)  # the same few slugs in every row: one string each (a large file's memory)
    return values, sources


def _data(row: Row, table: Table, problems: list[ImportProblem]) -> tuple[str, dict] | None:
    where = f"row {row.number}"
    given = {k for k in DATA_COLUMNS if row.values.get(k, "").upper() not in ("", "NA", "N/A", ".")}
    forms = [form for form, markers in _FORM_MARKERS.items() if given & set(markers)]
    if not forms:
        problems.append(ImportProblem(table.path, where, "", "no effect data: give ai bi ci di (or ai n1i ci n2i),"
                                      " or m1i sd1i n1i m2i sd2i n2i, or yi with vi or sei"))
        return None
    if len(forms) > 1:
        listed = "; ".join(f"{f}: {' '.join(c for c in _FORM_MARKERS[f] if c in given)}" for f in forms)
        problems.append(ImportProblem(table.path, where, table.headers.get(_FORM_MARKERS[forms[1]][0], ""),
                                      f"figures for more than one kind of estimate ({listed}); one row is one"
                                      " estimate: keep the raw figures and leave out the computed yi/vi/sei"))
        return None
    form = forms[0]
    stray = sorted(given - set(FORM_COLUMNS[form]))
    if stray:
        problems.append(ImportProblem(table.path, where, table.headers[stray[0]],
                                      f"does not belong with the {form} in this row ({', '.join(FORM_COLUMNS[form])})"))
        return None
    before = len(problems)
    data = {}
    for column in FORM_COLUMNS[form]:
        if column in given:
            value = table.number(row, column, problems, whole=column in COUNT_COLUMNS)
            if value is not None and column in COUNT_COLUMNS and value < 0:
                problems.append(ImportProblem(table.path, where, table.headers[column],
                                              f"{value} is negative: a count must be 0 or more"))
            data[column] = value
    if len(problems) > before:
        return None
    return form, data


def read_row(row: Row, table: Table, options: CsvOptions, vocabulary: Vocabulary,
             problems: list[ImportProblem]) -> Estimate | None:
    where = f"row {row.number}"
    before = len(problems)
    study = _study(row, table, problems)
    terms = _terms(row, table, options, vocabulary, problems)
    data = _data(row, table, problems)
    # design, country, follow-up and measure
    cell = row.values.get("design", "")
    design_text = cell or options.design
    design_from = table.headers["design"] if cell else "--design"
    design = resolve_design(design_text) if design_text else DEFAULT_DESIGN
    if design is None:
        problems.append(ImportProblem(table.path, where if cell else "", design_from, _design_message(design_text)))
    followup = table.number(row, "timepoint_months", problems) if "timepoint_months" in table.headers else None
    if len(problems) > before:
        return None
    name, citation, citation_columns = study
    values, sources = terms
    form, figures = data
    cell = row.values.get("measure", "")
    if cell:
        measure, sources["measure"] = cell.upper(), table.headers["measure"]
    elif options.measure:
        measure, sources["measure"] = options.measure.upper(), "--measure"
    else:
        measure = None
    if measure is None:
        outcome = vocabulary.get("outcomes", values["outcome"])
        if outcome is None:  # the unknown outcome is reported when the record is checked
            measure = {"counts": "OR", "means": "MD", "effect": "GEN"}[form]
        elif outcome.default_measure not in MEASURES_OF_FORM[form]:
            columns = " ".join(c for c in FORM_COLUMNS[form] if c in figures)
            problems.append(ImportProblem(table.path, where, sources["outcome"],
                                          f"the figures ({columns}) are {form}, but outcome '{outcome.slug}' is"
                                          f" {outcome.outcome_type} (measured as {outcome.default_measure}):"
                                          f" {form} need a {'binary' if form == 'counts' else 'continuous'}"
                                          " outcome; is the outcome right?"))
            return None
        else:
            measure = outcome.default_measure
            sources["measure"] = f"measure (the default of outcome '{outcome.slug}')"
    elif measure not in MEASURES:
        problems.append(ImportProblem(table.path, where if cell else "", sources["measure"],
                                      f"'{measure}' is not a measure; use one of {', '.join(MEASURES)}"))
        return None
    effect = {**values, "followup_months": followup, "form": form, "measure": measure, "data": figures}
    sources["form"] = " ".join(table.headers[c] for c in FORM_COLUMNS[form] if c in figures)
    sources["followup_months"] = table.headers.get("timepoint_months", "timepoint_months")
    descriptors = {table.headers[c]: descriptor_value(row.values.get(c, ""), table.decimal_comma)
                   for c in table.columns if c not in KNOWN}
    if cell := row.values.get("design", ""):
        descriptors[table.headers["design"]] = cell  # the source's own coding, kept verbatim
    doi = clean_doi(row.values.get("doi", ""))
    return Estimate(row, name, citation, citation_columns, design, design_from, row.values.get("country") or None,
                     doi, row.values.get("bibkey") or None, effect, sources, descriptors,
                     row.values.get("esid") or None)
