"""A study's citation as APA text, BibTeX and RIS, from its record.

Records from a review's dataset may lack a title: then the citation names
the study as the source does and adds the publication it was taken from.
"""

from __future__ import annotations

import re

BIBTEX_TYPES = {"journal-article": "article", "book-chapter": "incollection", "report": "techreport",
                "thesis": "phdthesis", "conference-paper": "inproceedings", "web-page": "misc", "other": "misc"}
RIS_TYPES = {"journal-article": "JOUR", "book-chapter": "CHAP", "report": "RPRT", "thesis": "THES",
             "conference-paper": "CONF", "web-page": "ELEC", "other": "GEN"}
_BIBTEX_SPECIAL = re.compile(r"([\\{}%&$#_~^])")


def _one_line(text) -> str:
    return re.sub(r"\s+", " ", str(text)).strip()


def _authors(c: dict) -> list[str]:
    return [_one_line(a) for a in c.get("authors") or []]


def _pages(c: dict) -> tuple[str | None, str | None]:
    pages = c.get("pages")
    if not pages:
        return None, None
    first, _, last = str(pages).replace("–", "-").partition("-")
    return first.strip() or None, last.strip() or None


def apa(record: dict) -> str:
    c, prov = record["citation"], record.get("provenance") or {}
    names = _authors(c)
    if len(names) > 1:
        who = ", ".join(names[:-1]) + ", & " + names[-1]
    else:
        who = names[0] if names else (c.get("label") or "")
    if c.get("et_al"):
        who += " et al."
    parts = [f"{who} ({c.get('year') or 'n.d.'})."]
    if c.get("title"):
        parts.append(_one_line(c["title"]).rstrip(".") + ".")
    if c.get("journal"):
        where = _one_line(c["journal"])
        if c.get("volume"):
            where += f", {c['volume']}" + (f"({c['issue']})" if c.get("issue") else "")
        if c.get("pages"):
            where += f", {c['pages']}"
        parts.append(where + ".")
    elif c.get("publisher"):
        parts.append(_one_line(c["publisher"]) + ".")
    if c.get("doi"):
        parts.append(f"https://doi.org/{c['doi']}")
    elif c.get("url"):
        parts.append(c["url"])
    if not c.get("title") and prov.get("source"):
        parts.append(f"As reported in: {_one_line(prov['source'])}")
    return " ".join(parts)


def _name(c: dict) -> str | None:
    """'Landenberger (2004)': how a study without a title is named."""
    names = _authors(c)
    if not names:
        return None
    return f"{names[0]}{' et al.' if c.get('et_al') or len(names) > 2 else ''} ({c.get('year') or 'n.d.'})"


def _bib(value) -> str:
    return _BIBTEX_SPECIAL.sub(r"\\\1", _one_line(value))


def bibtex(record: dict) -> str:
    c, prov = record["citation"], record.get("provenance") or {}
    key = re.sub(r"[^A-Za-z0-9_:-]", "", c.get("bibkey") or record["id"]) or "study"
    names = _authors(c) + (["others"] if c.get("et_al") else [])
    fields = [("author", " and ".join(_bib(n) for n in names) if names else None),
              ("title", _bib(c.get("title") or c.get("label") or _name(c) or record["id"])),
              ("year", c.get("year")), ("journal", _bib(c["journal"]) if c.get("journal") else None),
              ("volume", c.get("volume")), ("number", c.get("issue")),
              ("pages", str(c["pages"]).replace("–", "--") if c.get("pages") else None),
              ("publisher", _bib(c["publisher"]) if c.get("publisher") else None),
              ("doi", c.get("doi")), ("url", c.get("url")),
              ("note", _bib(f"As reported in: {prov['source']}")
                       if not c.get("title") and prov.get("source") else None)]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value not in (None, ""))
    return f"@{BIBTEX_TYPES.get(c.get('publication_type'), 'misc')}{{{key},\n{body}\n}}\n"


def ris(record: dict) -> str:
    c, prov = record["citation"], record.get("provenance") or {}
    lines = [("TY", RIS_TYPES.get(c.get("publication_type"), "GEN"))]
    lines += [("AU", a) for a in _authors(c)]
    first, last = _pages(c)
    for tag, value in (("PY", c.get("year")), ("TI", c.get("title") or c.get("label") or _name(c)),
                       ("T2", c.get("journal")),
                       ("VL", c.get("volume")), ("IS", c.get("issue")), ("SP", first), ("EP", last),
                       ("PB", c.get("publisher")), ("DO", c.get("doi")), ("UR", c.get("url")),
                       ("AB", c.get("abstract")), ("N1", f"As reported in: {prov['source']}"
                                                   if prov.get("source") else None), ("ID", record["id"])):
        if value not in (None, ""):
            lines.append((tag, _one_line(value)))
    lines.append(("ER", ""))
    return "\r\n".join(f"{tag}  - {value}".rstrip() if tag == "ER" else f"{tag}  - {value}"
                       for tag, value in lines) + "\r\n"
