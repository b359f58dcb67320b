"""What changed between two releases' parameters, and the CHANGELOG.md that says so."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..services.parameters import FIELDS

#: Compared field by field; ``rows`` catches a changed study whose pooled numbers happen to agree.
COMPARED = FIELDS + ("rows",)
SHOWN = ("estimate", "ci_low", "ci_high", "k")


@dataclass
class Changes:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)  # id -> names of the fields that changed

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def compare(old: list[dict], new: list[dict]) -> Changes:
    before, after = {p["id"]: p for p in old}, {p["id"]: p for p in new}
    out = Changes(sorted(set(after) - set(before)), sorted(set(before) - set(after)))
    for pid in sorted(set(before) & set(after)):
        fields = [name for name in COMPARED if before[pid].get(name) != after[pid].get(name)]
        if fields:
            out.changed[pid] = fields
    return out


def _number(value) -> str:
    return "–" if value is None else f"{value:.4g}" if isinstance(value, float) else str(value)


def markdown(name: str, doc: dict, released_at: str, previous: dict | None, old: list[dict]) -> str:
    """The release's CHANGELOG.md. ``previous`` is the previous release's manifest (None for the first)."""
    new = doc["parameters"]
    lines = [f"# Release {name}", "",
             f"- dataset_version: `{doc['dataset_version']}` (built {doc['generated_at']})",
             f"- released: {released_at}",
             f"- settings: method {doc['settings']['method']}, test {doc['settings']['test']}, "
             f"level {doc['settings']['level']}",
             f"- parameters: {len(new)}"]
    if previous is None:
        lines += ["- previous release: none — every parameter is new", ""]
    else:
        lines += [f"- previous release: {previous['name']} (dataset_version `{previous['dataset_version']}`)", ""]
    changes = compare(old, new)
    if previous is not None and changes.empty:
        lines += ["No parameter was added, removed or changed.", ""]
    by_id = {p["id"]: p for p in old} | {p["id"]: p for p in new}
    old_by_id = {p["id"]: p for p in old}
    for title, ids in (("Added", changes.added), ("Removed", changes.removed)):
        if ids:
            lines += [f"## {title} ({len(ids)})", ""]
            lines += [f"- `{pid}` (k = {by_id[pid]['k']}, estimate {_number(by_id[pid]['estimate'])})" for pid in ids]
            lines.append("")
    if changes.changed:
        lines += [f"## Changed ({len(changes.changed)})", ""]
        for pid, fields in changes.changed.items():
            shown = [f"{f} {_number(old_by_id[pid][f])} → {_number(by_id[pid][f])}" for f in SHOWN if f in fields]
            lines.append(f"- `{pid}`: {', '.join(fields)}" + (f" ({'; '.join(shown)})" if shown else ""))
        lines.append("")
    return "\n".join(lines)
