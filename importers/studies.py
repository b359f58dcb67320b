"""Rows of an extraction table → study drafts: one draft per study, one effect per row.

A row's study comes from its ``study`` column ("Guerra (1990)", "Robinson (1995a)") or its
``author`` and ``year`` columns. Rows naming the same study become effects of one record,
unless they disagree on what a record holds once (design, country, DOI, bibkey): then they
are separate studies reported together, and each gets its own record. Reading one row is
:mod:`.rows`.
"""

from __future__ import annotations

from sys import intern

from evidence.records.followup import followup_window
from evidence.records.slugs import slugify, unique
from evidence.records.vocabulary import Vocabulary

from .citation import fold
from .csvfile import Table
from .draft import Draft, RowLocations
from .problems import ImportProblem
from .rows import CsvOptions, Estimate, read_row

__all__ = ["CsvOptions", "read_row", "table_to_drafts"]


def _merge_descriptors(estimates: list[Estimate]) -> dict:
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


def _effect_slug(e: Estimate) -> str:
    """The effect's id: from its effect-size id when the table has one ("es-12"), else from the outcome."""
    if e.esid is None:
        return slugify(e.effect["outcome"])
    slug = slugify(e.esid)
    return slug if slug and not slug.isdigit() else f"es-{slug or e.row.number}"


def _analysis_key(effect: dict) -> tuple:
    return (effect["intervention"], effect.get("comparison"), effect["target_group"], effect["outcome"],
            effect["measure"], followup_window(effect.get("followup_months")))


def _draft(estimates: list[Estimate], table: Table, file_name: str, options: CsvOptions, history: dict,
           problems: list[ImportProblem], layouts: dict[tuple, dict]) -> Draft | None:
    first = estimates[0]
    rows = [e.row.number for e in estimates]
    # field path -> (slot, column): slot 0 is the study's first row, i the row of effect i, -1 an option
    layout: dict[str, tuple[int, str]] = {}
    for field_path, column in first.citation_columns.items():
        layout[field_path] = (0, column)
    layout["citation.doi"] = (0, table.headers.get("doi", "doi"))
    layout["citation.bibkey"] = (0, table.headers.get("bibkey", "bibkey"))
    layout["design.type"] = (0 if first.design_from != "--design" else -1, first.design_from)
    layout["design.country"] = (0, table.headers.get("country", "country"))
    layout["provenance.source"] = (-1, "--source")
    layout["provenance"] = (-1, "--source")

    effects: list[dict] = []
    ids: set[str] = set()
    seen: dict[tuple, list[int]] = {}
    by_esid: dict[str, Estimate] = {}
    for e in estimates:
        effect_where = f"row {e.row.number}"
        if e.esid is not None:
            if e.esid in by_esid:
                problems.append(ImportProblem(table.path, effect_where, table.headers["esid"],
                                              f"repeats effect-size id '{e.esid}' of row {by_esid[e.esid].row.number}"
                                              " in the same study: each effect size is one row; give each its own"
                                              " id or delete one of the two rows"))
                return None
            by_esid[e.esid] = e
        key = _analysis_key(e.effect)
        for j in seen.get(key, []):
            # Rows with their own effect-size ids are distinct estimates even when their figures are equal.
            if effects[j]["data"] == e.effect["data"] and (e.esid is None or estimates[j].esid is None):
                problems.append(ImportProblem(table.path, effect_where, "",
                                              f"repeats row {estimates[j].row.number}: the same study, estimate"
                                              " and figures; delete one of the two rows, or tell them apart"
                                              " with an 'esid' column"))
                return None
        i = len(effects)
        seen.setdefault(key, []).append(i)
        effect_id = unique(_effect_slug(e), ids)
        ids.add(effect_id)
        effect = {"id": effect_id, **e.effect, "sample": "main"}
        if len(estimates) > 1 or e.esid is not None:
            effect["location"] = _rows_text(file_name, [e.row.number]) + (
                f" ({table.headers['esid']} {e.esid})" if e.esid is not None else "")
        effects.append(effect)
        # the keys repeat from study to study: interned, a large file's layouts share them (memory)
        layout[intern(f"effects.{i}")] = (i, "")
        for name, column in e.sources.items():
            layout[intern(f"effects.{i}.{name}")] = (-1 if column.startswith("--") else i, column)
        for column in e.effect["data"]:
            layout[intern(f"effects.{i}.data.{column}")] = (i, table.headers[column])
        layout[intern(f"effects.{i}.sample")] = (i, "")
        if e.esid is not None:
            layout[intern(f"effects.{i}.id")] = (i, table.headers["esid"])
    # drafts of the same shape (most rows of a large file) share one layout: each keeps only its row numbers
    layout = layouts.setdefault(tuple(layout.items()), layout)
    locations = RowLocations(layout, tuple(rows))
    # Several estimates of one analysis without effect-size ids: each row is its own (independent) sample.
    # Rows with ids are dependent estimates of one sample, pooled with the CHE model (docs/statistics.md).
    for members in seen.values():
        independent = [i for i in members if estimates[i].esid is None]
        if len(independent) > 1:
            for n, i in enumerate(independent, start=1):
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
    return Draft(record, table.path, f"row {rows[0]}", first.name, locations)


def table_to_drafts(table: Table, options: CsvOptions, vocabulary: Vocabulary, file_name: str,
                    history: dict) -> tuple[list[Draft], list[ImportProblem], list[str]]:
    """Drafts for every study in ``table``; problems for every row that cannot be read; notices."""
    problems: list[ImportProblem] = []
    notices: list[str] = []
    estimates = [e for row in table.rows if (e := read_row(row, table, options, vocabulary, problems))]
    # dict.fromkeys keeps first-seen order: one problem for a bad command-line option, not one per row
    problems = list(dict.fromkeys(problems))
    groups: dict[tuple, list[Estimate]] = {}
    for e in estimates:
        groups.setdefault(e.group_key, []).append(e)
    by_name: dict[str, list[list[Estimate]]] = {}
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
    del estimates, by_name
    layouts: dict[tuple, dict] = {}
    drafts = []
    for key in list(groups):  # each study's estimates are let go once its draft is made (peak memory)
        members = groups.pop(key)
        if d := _draft(members, table, file_name, options, history, problems, layouts):
            drafts.append(d)
    return drafts, problems, notices
