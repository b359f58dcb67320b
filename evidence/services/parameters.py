"""Default parameters as calculators get them: load, re-pool on request, filter.

Flask-free: the API, the export command and releases all go through here, so
every channel serves the same numbers. A parameter is a plain dict in *export
form*: the contract fields first (``CONTRACT``), then every extra field, each
key always present (``None`` when it does not apply). Its per-study ``rows``
carry everything pooling needs (sample, risk of bias, control arm), so a
parameter — from the database or from a release file — can be re-pooled with
another tau² estimator, test or baseline risk without the database.
"""

from __future__ import annotations

import difflib
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..constants import FIELD_OF_KIND
from ..db.models import BuildInfo, Effect, Parameter, Study, Term
from ..records.followup import LABELS as FOLLOWUP_LABELS
from ..records.vocabulary import Term as VocabTerm
from ..records.vocabulary import Vocabulary
from ..stats import units
from ..stats.pooled import DEFAULT_RHO
from ..stats.rma import METHODS, TESTS
from ..stats.som import success_rate_pp
from . import effects as effect_sizes
from . import pooling
from .groups import Group, Key, Row
from .parameter_fields import DEFAULT_METHOD, DEFAULT_TEST, LEVEL

SCHEMA = "evidence-parameters/1"

#: The export's contract: these names, in this order, in every parameter.
CONTRACT = ("id", "intervention", "target_group", "outcome", "comparison", "followup", "measure", "scale",
            "estimate", "se", "ci_low", "ci_high", "pi_low", "pi_high", "pval", "tau2", "i2", "q", "q_pval",
            "k", "n_participants", "evidence_level", "strength", "control_risk", "treated_risk",
            "risk_difference_pp", "studies")
#: Extra fields, always present, after the contract (then ``rows`` and ``sensitivity``).
EXTRA = ("model", "k_effects", "rho", "omega2", "method", "method_used", "test", "level", "stat", "df", "se_tau2", "h2",
         "estimate_natural",
         "ci_low_natural", "ci_high_natural", "pi_low_natural", "pi_high_natural", "natural_scale_conversion",
         "control_risk_source", "control_risk_ci_low", "control_risk_ci_high", "risk_difference_pp_ci_low",
         "risk_difference_pp_ci_high", "risk_difference_pp_conversion", "treated_risk_conversion",
         "wwc_improvement_index", "wwc_improvement_index_conversion", "log_or_from_smd", "log_or_from_smd_ci_low",
         "log_or_from_smd_ci_high", "log_or_from_smd_conversion", "smd_from_log_or", "smd_from_log_or_ci_low",
         "smd_from_log_or_ci_high", "smd_from_log_or_conversion", "direction", "n_participants_complete",
         "strength_reasons", "rollup", "target_groups_pooled", "notes",
         "som_success_rate_pp", "som_success_rate_pp_ci_low", "som_success_rate_pp_ci_high")
#: (field, vocabulary) of each term a parameter names, in the vocabularies' order.
LABEL_KINDS = tuple((name, kind) for kind, name in FIELD_OF_KIND.items())
LABELS = tuple(f"{name}_label_{lang}" for name, _ in LABEL_KINDS for lang in ("da", "en")) + (
    "followup_label_da", "followup_label_en", "outcome_type", "outcome_desirable")
FIELDS = CONTRACT + EXTRA + LABELS
#: What a per-study row holds (the last four let a release be re-pooled on its own).
ROW_FIELDS = ("study", "label", "effect", "target_group", "design", "yi", "vi", "weight", "n_participants",
              "conversions", "sample", "risk_of_bias", "control_events", "control_n")
ROW_EXTRAS = ROW_FIELDS[-4:]
FILTERS = ("intervention", "target_group", "outcome", "measure", "followup")


@dataclass(frozen=True)
class Choice:
    """How to pool: the stored defaults unless the caller asks otherwise."""

    method: str = DEFAULT_METHOD
    test: str = DEFAULT_TEST
    baseline_risk: float | None = None
    rho: float = DEFAULT_RHO  # within-study correlation of dependent effect sizes (che-rve)

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}")
        if self.test not in TESTS:
            raise ValueError(f"test must be one of {', '.join(TESTS)}")
        if self.baseline_risk is not None and not 0 < self.baseline_risk < 1:
            raise ValueError("baseline_risk must be strictly between 0 and 1")
        if isinstance(self.rho, bool) or not isinstance(self.rho, (int, float)) or not 0 <= self.rho < 1:
            raise ValueError("rho must be at least 0 and below 1")

    @property
    def stored(self) -> bool:
        return (self.method, self.test, self.baseline_risk, self.rho) == (DEFAULT_METHOD, DEFAULT_TEST, None,
                                                                          DEFAULT_RHO)

    def settings(self) -> dict:
        out = {"method": self.method, "test": self.test, "level": LEVEL, "rho": self.rho}
        if self.baseline_risk is not None:
            out["baseline_risk"] = self.baseline_risk
        return out


@dataclass
class Source:
    """One dataset's parameters as stored (REML, z): the current build or a release."""

    dataset_version: str
    generated_at: str
    parameters: list[dict]
    release: str | None = None
    _pooled: OrderedDict = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def select(self, choice: Choice = Choice(), **filters) -> list[dict]:
        """The parameters matching ``filters`` (exact values), pooled as ``choice`` says."""
        wanted = {k: v for k, v in filters.items() if v is not None}
        unknown = set(wanted) - set(FILTERS)
        if unknown:
            raise ValueError(f"unknown filter(s): {', '.join(sorted(unknown))}")
        # a set (a parent term rolled up, see ``rolled_up``) matches any of its values
        chosen = [p for p in self.parameters
                  if all(p[k] in v if isinstance(v, frozenset) else p[k] == v for k, v in wanted.items())]
        if choice.stored:
            return chosen
        return [self._repooled(p, choice) for p in chosen]

    def get(self, parameter_id: str, choice: Choice = Choice()) -> dict | None:
        for p in self.parameters:
            if p["id"] == parameter_id:
                return p if choice.stored else self._repooled(p, choice)
        return None

    def values(self, name: str) -> list[str]:
        return sorted({p[name] for p in self.parameters if p[name] is not None})

    def _repooled(self, p: dict, choice: Choice) -> dict:
        key = (p["id"], choice)
        found = self._pooled.get(key)
        if found is None:
            found = repool(p, choice)
            with self._lock:  # threads of one server share a Source
                self._pooled[key] = found
                while len(self._pooled) > 2000:  # bounded: baseline risks are caller-chosen
                    self._pooled.popitem(last=False)
        return found


def unknown_filters(source: Source, filters: dict, vocab: Vocabulary | None = None) -> dict[str, list[str]]:
    """Vocabulary filters that name nothing, each with close matches.

    A term that exists but has no parameters is not unknown (the answer is
    just empty); without ``vocab`` (a release) the release's own values count.
    """
    out = {}
    for name, kind in LABEL_KINDS[:3]:
        value = filters.get(name)
        if value is None:
            continue
        known = set(source.values(name)) | (set(vocab.terms[kind]) if vocab is not None else set())
        if value not in known:
            out[name] = difflib.get_close_matches(value, sorted(known), n=3, cutoff=0.5)
    return out


def rolled_up(filters: dict, vocab: Vocabulary | None) -> dict:
    """Vocabulary filters widened to the term and every term below it, as the pages show a parent term.

    ``intervention=housing-first`` then selects the parameters of Housing First's
    variants, and ``target_group=offenders`` the groups below offenders with the
    parameters that pool them. Without ``vocab``, or for a term it lacks, a filter
    stays exact.
    """
    out = dict(filters)
    for name, kind in LABEL_KINDS[:3]:
        value = filters.get(name)
        if value is not None and vocab is not None and (kind, value) in vocab:
            out[name] = frozenset(vocab.descendants(kind, value))
    return out


def repool(p: dict, choice: Choice) -> dict:
    """``p`` pooled again from its own rows with another method, test or baseline risk."""
    key = Key(p["intervention"], p["target_group"], p["outcome"], p["comparison"], p["followup"], p["measure"])
    rows = [Row(study=r["study"], label=r["label"], effect=r["effect"], sample=r["sample"],
                target_group=r["target_group"], design=r["design"], risk_of_bias=r["risk_of_bias"],
                yi=r["yi"], vi=r["vi"], n_participants=r["n_participants"],
                control_events=r["control_events"], control_n=r["control_n"],
                conversions=tuple(r["conversions"])) for r in p["rows"]]
    vocab = Vocabulary()
    vocab.add(VocabTerm("outcomes", p["outcome"], "", "", desirable=p["outcome_desirable"]))
    result = pooling.pool(Group(key, rows), vocab, choice.method, choice.test, choice.baseline_risk, rho=choice.rho)
    return export_form(result, {name: p[name] for name in LABELS}, [_extras(r) for r in p["rows"]])


def _extras(row: dict) -> dict:
    return {name: row[name] for name in ROW_EXTRAS}


def export_form(result: dict, labels: dict, row_extras: list[dict]) -> dict:
    """A pooled result in export form: every field, contract first, finite numbers only.

    ``row_extras`` gives, per row, what the stored rows lack for re-pooling
    (sample, risk of bias, control arm).
    """
    out = {name: clean(result.get(name)) for name in CONTRACT + EXTRA}
    out.update({name: labels.get(name) for name in LABELS})
    som = success_rate_pp(out["risk_difference_pp"], out["risk_difference_pp_ci_low"],
                          out["risk_difference_pp_ci_high"], out["outcome_desirable"])
    out["som_success_rate_pp"], out["som_success_rate_pp_ci_low"], out["som_success_rate_pp_ci_high"] = som
    out["rows"] = [{**{name: clean(r.get(name)) for name in ROW_FIELDS}, **extra}
                   for r, extra in zip(result["rows"], row_extras, strict=True)]
    out["sensitivity"] = clean(result.get("sensitivity"))
    out["study_effects"] = clean(result.get("study_effects"))
    out["small_study_test"] = clean(result.get("small_study_test"))
    return out


def clean(value):
    """JSON-safe values: plain floats (not subclasses), None for NaN and infinities."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def build_info(session: Session) -> BuildInfo | None:
    return session.execute(select(BuildInfo)).scalars().first()


def load_current(session: Session) -> Source | None:
    """The current build's parameters in export form, ordered by id (None if not built)."""
    info = build_info(session)
    if info is None:
        return None
    terms = {(t.kind, t.slug): t for t in session.execute(select(Term)).scalars()}
    arms = {}
    for e, rob in session.execute(select(Effect, Study.risk_of_bias).join(Study)):
        arm = effect_sizes.control_arm(e.form, e.data) if e.form == "counts" else None
        arms[(e.study_id, e.key)] = {"sample": e.sample, "risk_of_bias": rob,
                                     "control_events": arm[0] if arm else None,
                                     "control_n": arm[1] if arm else None}
    params = []
    for row in session.execute(select(Parameter).order_by(Parameter.id)).scalars():
        extras = [arms.get((r["study"], r["effect"]), dict.fromkeys(ROW_EXTRAS)) for r in row.result["rows"]]
        params.append(export_form(row.result, labels_for(row.result, terms), extras))
    borrow_control_risk(params)
    return Source(info.dataset_version, info.built_at, params)


def borrow_control_risk(params: list[dict]) -> None:
    """An RD parameter without a control risk takes it from its RR or OR sibling of the same studies.

    RR, OR and RD of one intervention × group × outcome × comparison × follow-up
    are pooled from the same estimates when the studies give counts, and then
    share the control risk pooled from their control arms; an RD whose rows
    carry no control arm would otherwise say nothing in risks. The borrowed
    risk is the sibling's (same studies, same pooled control arms), and the
    treated risk and percentage-point change follow from the RD itself
    (p1 = p0 + RD; Cochrane Handbook 15.4.4). In place; a no-op when every RD
    has its own.
    """
    siblings: dict[tuple, dict[str, dict]] = {}
    for p in params:
        key = (p["intervention"], p["target_group"], p["outcome"], p["comparison"], p["followup"])
        siblings.setdefault(key, {})[p["measure"]] = p
    for group in siblings.values():
        rd = group.get("RD")
        if rd is None or rd["control_risk"] is not None:
            continue
        donor = next((group[m] for m in ("RR", "OR") if m in group and group[m]["control_risk"] is not None
                      and sorted(group[m]["studies"]) == sorted(rd["studies"])), None)
        if donor is None:
            continue
        risk = donor["control_risk"]
        treated = units.treated_risk(risk, "RD", rd["estimate"])
        pp = units.risk_difference_pp(risk, "RD", rd["estimate"], rd["ci_low"], rd["ci_high"])
        rd.update(control_risk=risk, control_risk_ci_low=donor["control_risk_ci_low"],
                  control_risk_ci_high=donor["control_risk_ci_high"],
                  control_risk_source=f"{donor['control_risk_source']} (as for the {donor['measure']} parameter "
                                      f"of the same studies)",
                  treated_risk=clean(float(treated)), treated_risk_conversion=treated.conversion,
                  risk_difference_pp=clean(pp[0]), risk_difference_pp_ci_low=clean(pp[1]),
                  risk_difference_pp_ci_high=clean(pp[2]), risk_difference_pp_conversion=pp.conversion)


def labels_for(p: dict, terms: dict) -> dict:
    """Danish and English labels for a parameter's terms, and its outcome's type and direction."""
    out = {}
    for name, kind in LABEL_KINDS:
        term = terms.get((kind, p[name])) if p.get(name) else None
        out[f"{name}_label_da"] = term.label_da if term else None
        out[f"{name}_label_en"] = term.label_en if term else None
    window = FOLLOWUP_LABELS.get(p["followup"], {})
    out["followup_label_da"], out["followup_label_en"] = window.get("da"), window.get("en")
    outcome = terms.get(("outcomes", p["outcome"]))
    out["outcome_type"] = outcome.outcome_type if outcome else None
    out["outcome_desirable"] = outcome.desirable if outcome else None
    return out


def vocabulary(session: Session) -> Vocabulary:
    """The vocabularies as built, for suggestions and hierarchy walks."""
    vocab = Vocabulary()
    for t in session.execute(select(Term)).scalars():
        vocab.add(VocabTerm(t.kind, t.slug, t.label_da, t.label_en, parent=t.parent,
                            synonyms_da=tuple(t.synonyms_da or ()), synonyms_en=tuple(t.synonyms_en or ()),
                            description_da=t.description_da, description_en=t.description_en,
                            outcome_type=t.outcome_type, desirable=t.desirable,
                            default_measure=t.default_measure, needs_curation=t.needs_curation,
                            areas=tuple(t.areas or ())))
    return vocab
