"""Rows of an extraction table → study drafts: one draft per study, one effect per row.

A row's study comes from its ``study`` column ("Guerra (1990)", "Robinson (1995a)") or its
``author`` and ``year`` columns. Rows naming the same study become effects of one record,
unless they disagree on what a record holds once (design, country, DOI, bibkey): then they
are separate studies reported together, and each gets its own record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from evidence.records.followup import followup_window
from evidence.records.schemas import DESIGNS, MEASURES, MEASURES_OF_FORM, SLUG
from evidence.records.slugs import slugify, unique
from evidence.records.vocabulary import FIELD_OF_KIND, Vocabulary

from .citation import clean_doi, fold, parse_year, split_names
from .csvfile import COUNT_COLUMNS, DATA_COLUMNS, KNOWN, Row, Table, parse_number
from .draft import Draft
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
_STUDY = re.compile(r"(?P<who>.*?)[\s,]*\(?\s*(?P<year>\d{4})(?P<letter>[a-z])?\s*\)?")


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
class _Estimate:
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
        authors, et_al = split_names(m.group("who").strip(" ,("))
        return study, {"authors": authors, "et_al": et_al, "year": int(m.group("year"))}, columns
    if re.fullmatch(r"[\d\s.,#-]+", study):
        problems.append(ImportProblem(table.path, where, column,
                                      f"'{study}' is a number, not a study: give \"Author (Year)\" or the study's name"))
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
        values[name] = value
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
             problems: list[ImportProblem]) -> _Estimate | None:
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
    descriptors = {table.headers[c]: descriptor_value(v, table.decimal_comma)
                   for c, v in row.values.items() if c not in KNOWN}
    if cell := row.values.get("design", ""):
        descriptors[table.headers["design"]] = cell  # the source's own coding, kept verbatim
    doi = clean_doi(row.values.get("doi", ""))
    return _Estimate(row, name, citation, citation_columns, design, design_from, row.values.get("country") or None,
                     doi, row.values.get("bibkey") or None, effect, sources, descriptors)


def _merge_descriptors(estimates: list[_Estimate]) -> dict:
    keys: list[str] = []
    for e in estimates:
        keys += [k for k in e.descriptors if k not in keys]
    out = {}
    for key in keys:
        values = [e.descriptors.get(key) for e in estimates]
        if all(v is None for v in values):
            continue
        # Rows that disagree keep one value per effect, in the order of the effects.
        out[key] = values[0] if all(v == values[0] for v in values) else values
    return out


def _rows_text(file_name: str, rows: list[int]) -> str:
    return f"{file_name}, row {rows[0]}" if len(rows) == 1 else f"{file_name}, rows {', '.join(map(str, rows))}"


def _analysis_key(effect: dict) -> tuple:
    return (effect["intervention"], effect.get("comparison"), effect["target_group"], effect["outcome"],
            effect["measure"], followup_window(effect.get("followup_months")))


def _draft(estimates: list[_Estimate], table: Table, file_name: str, options: CsvOptions, history: dict,
           problems: list[ImportProblem]) -> Draft | None:
    first = estimates[0]
    rows = [e.row.number for e in estimates]
    locations: dict[str, tuple[str, str]] = {}
    where = f"row {rows[0]}"
    for field_path, column in first.citation_columns.items():
        locations[field_path] = (where, column)
    locations["citation.doi"] = (where, table.headers.get("doi", "doi"))
    locations["citation.bibkey"] = (where, table.headers.get("bibkey", "bibkey"))
    locations["design.type"] = (where if first.design_from != "--design" else "", first.design_from)
    locations["design.country"] = (where, table.headers.get("country", "country"))
    locations["provenance.source"] = ("", "--source")
    locations["provenance"] = ("", "--source")

    effects: list[dict] = []
    ids: set[str] = set()
    seen: dict[tuple, list[int]] = {}
    for e in estimates:
        effect_where = f"row {e.row.number}"
        key = _analysis_key(e.effect)
        for j in seen.get(key, []):
            if effects[j]["data"] == e.effect["data"]:
                problems.append(ImportProblem(table.path, effect_where, "",
                                              f"repeats row {estimates[j].row.number}: the same study, estimate"
                                              " and figures; delete one of the two rows"))
                return None
        i = len(effects)
        seen.setdefault(key, []).append(i)
        effect_id = unique(slugify(e.effect["outcome"]), ids)
        ids.add(effect_id)
        effect = {"id": effect_id, **e.effect, "sample": "main"}
        if len(estimates) > 1:
            effect["location"] = _rows_text(file_name, [e.row.number])
        effects.append(effect)
        locations[f"effects.{i}"] = (effect_where, "")
        for name, column in e.sources.items():
            option = column.startswith("--")
            locations[f"effects.{i}.{name}"] = ("" if option else effect_where, column)
        for column in e.effect["data"]:
            locations[f"effects.{i}.data.{column}"] = (effect_where, table.headers[column])
        locations[f"effects.{i}.sample"] = (effect_where, "")
    # Several estimates of one analysis in one study: each row is its own sample.
    for members in seen.values():
        if len(members) > 1:
            for n, i in enumerate(members, start=1):
                effects[i]["sample"] = f"sample-{n}"

    citation = dict(first.citation)
    citation["doi"] = first.doi
    citation["bibkey"] = first.bibkey
    record = {
        "citation": citation,
        "provenance": {
            "source": options.source,
            "extraction": "secondary",
            "location": _rows_text(file_name, rows),
            "descriptors": _merge_descriptors(estimates),
            "history": [dict(history)],
        },
        "design": {"type": first.design, "country": first.country},
        "effects": effects,
    }
    return Draft(record, table.path, where, first.name, locations)


def table_to_drafts(table: Table, options: CsvOptions, vocabulary: Vocabulary, file_name: str,
                    history: dict) -> tuple[list[Draft], list[ImportProblem], list[str]]:
    """Drafts for every study in ``table``; problems for every row that cannot be read; notices."""
    problems: list[ImportProblem] = []
    notices: list[str] = []
    estimates = [e for row in table.rows if (e := read_row(row, table, options, vocabulary, problems))]
    # dict.fromkeys keeps first-seen order: one problem for a bad command-line option, not one per row
    problems = list(dict.fromkeys(problems))
    groups: dict[tuple, list[_Estimate]] = {}
    for e in estimates:
        groups.setdefault(e.group_key, []).append(e)
    by_name: dict[str, list[list[_Estimate]]] = {}
    for members in groups.values():
        by_name.setdefault(fold(members[0].name), []).append(members)
    for parts in by_name.values():
        if len(parts) > 1:
            rows = [", ".join(str(e.row.number) for e in part) for part in parts]
            differ = [f"{label} ({', '.join(str(part[0].group_key[index] or '-') for part in parts)})"
                      for label, index in (("design", 1), ("country", 2), ("doi", 3), ("bibkey", 4))
                      if len({part[0].group_key[index] for part in parts}) > 1]
            notices.append(f"{table.path}: rows {' and '.join(rows)} name the same study '{parts[0][0].name}'"
                           f" but differ in {' and '.join(differ)}: imported as {len(parts)} studies,"
                           " one record each")
    drafts = [d for members in groups.values()
              if (d := _draft(members, table, file_name, options, history, problems))]
    return drafts, problems, notices
