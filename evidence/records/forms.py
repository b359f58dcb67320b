"""Rules for the data forms an effect estimate can take.

The forms follow metafor's ``escalc`` conventions:

- ``counts``: 2×2 table ``ai, bi, ci, di`` or events and group sizes ``ai, n1i, ci, n2i``;
- ``means``: ``m1i, sd1i, n1i`` (intervention) and ``m2i, sd2i, n2i`` (comparison);
- ``effect``: a reported effect: ``yi`` with ``vi`` or ``sei``; or ``estimate`` with
  ``ci_low``/``ci_high`` (natural scale, as published); or ``yi`` with ``pval``;
  or a test statistic ``t`` (or ``f`` with ``direction``) with ``n1i, n2i`` for SMD;
- ``single_arm``: a level-3 rate, ``events`` of ``n`` or a ``proportion``: shown, never pooled;
- ``reported``: figures as published (``text``, optional arm proportions ``p1i``/``p2i``
  and ``n_total``) that lack what pooling needs: shown, never pooled.
"""

from __future__ import annotations

ALLOWED = {
    "counts": {"ai", "bi", "ci", "di", "n1i", "n2i"},
    "means": {"m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"},
    "effect": {"yi", "vi", "sei", "estimate", "ci_low", "ci_high", "ci_level", "pval", "t", "f",
               "direction", "n1i", "n2i"},
    "single_arm": {"events", "n", "proportion", "proportion_high"},
    "reported": {"text", "p1i", "p2i", "n_total", "n1i", "n2i", "estimate", "ci_low", "ci_high",
                 "ci_level", "pval", "proportion", "proportion_high"},
}
FORMS = ("counts", "means", "effect", "single_arm", "reported")
MEASURES = ("RR", "OR", "RD", "MD", "SMD", "ROM", "GEN", "PR")
MEASURES_OF_FORM = {
    "counts": ("RR", "OR", "RD"),
    "means": ("MD", "SMD", "ROM"),
    "effect": ("RR", "OR", "RD", "MD", "SMD", "ROM", "GEN"),
    "single_arm": ("PR",),
    "reported": MEASURES,
}
NEVER_POOLED = ("single_arm", "reported")
RATIO = ("RR", "OR", "ROM")


def _present(data: dict, *keys: str) -> bool:
    return all(data.get(k) is not None for k in keys)


def _counts(d: dict, err) -> None:
    if not _present(d, "ai", "ci"):
        for k in ("ai", "ci"):
            if d.get(k) is None:
                err(k, "required for form 'counts' (events in each group)")
        return
    if _present(d, "bi", "di"):
        n1, n2 = d["ai"] + d["bi"], d["ci"] + d["di"]
        if n1 == 0:
            err("bi", "the intervention group is empty (ai + bi = 0)")
        if n2 == 0:
            err("di", "the comparison group is empty (ci + di = 0)")
        for k in ("n1i", "n2i"):
            if d.get(k) is not None and d[k] != (n1 if k == "n1i" else n2):
                err(k, f"does not equal {'ai + bi' if k == 'n1i' else 'ci + di'}")
    elif _present(d, "n1i", "n2i"):
        for events, n in (("ai", "n1i"), ("ci", "n2i")):
            if d[n] == 0:
                err(n, "group size must be at least 1")
            elif d[events] > d[n]:
                err(events, f"{d[events]} events is more than the group size {n} = {d[n]}")
    else:
        err("bi", "give bi and di (non-events), or n1i and n2i (group sizes)")


def _means(d: dict, err) -> None:
    for k in ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"):
        if d.get(k) is None:
            err(k, "required for form 'means'")
    for k in ("sd1i", "sd2i"):
        if d.get(k) is not None and d[k] <= 0:
            err(k, "a standard deviation must be greater than 0")
    for k in ("n1i", "n2i"):
        if d.get(k) is not None and d[k] < 1:
            err(k, "group size must be at least 1")


def _effect(d: dict, measure: str, err) -> None:
    for k in ("vi", "sei"):
        if d.get(k) is not None and d[k] <= 0:
            err(k, "a sampling variance or standard error must be greater than 0")
    if _present(d, "yi") and (_present(d, "vi") or _present(d, "sei") or _present(d, "pval")):
        return
    if _present(d, "estimate", "ci_low", "ci_high"):
        lo, est, hi = d["ci_low"], d["estimate"], d["ci_high"]
        if measure in RATIO and min(lo, est, hi) <= 0:
            err("estimate", f"a {measure} and its interval must be greater than 0")
        elif not lo < hi:
            err("ci_low", "the lower confidence limit must be below the upper one")
        elif not lo <= est <= hi:
            err("estimate", "the estimate lies outside its confidence interval")
        return
    if _present(d, "t", "n1i", "n2i") or _present(d, "f", "n1i", "n2i"):
        if measure != "SMD":
            err("t" if _present(d, "t") else "f", "a test statistic converts to SMD only")
        if _present(d, "f") and not _present(d, "direction"):
            err("direction", "an F statistic needs its direction (1 or -1)")
        for k in ("n1i", "n2i"):
            if d[k] < 2:
                err(k, "group size must be at least 2 for a test statistic")
        return
    err("yi", "form 'effect' needs yi with vi, sei or pval; or estimate with ci_low and ci_high;"
              " or t (or f and direction) with n1i and n2i")


def _single_arm(d: dict, err) -> None:
    if _present(d, "events", "n"):
        if d["n"] == 0:
            err("n", "group size must be at least 1")
        elif d["events"] > d["n"]:
            err("events", f"{d['events']} events is more than n = {d['n']}")
    elif not _present(d, "proportion"):
        err("events", "form 'single_arm' needs events and n, or a proportion")
    if _present(d, "proportion", "proportion_high") and d["proportion_high"] < d["proportion"]:
        err("proportion_high", "the upper end of a range must not be below its lower end")


def check_effect(effect: dict) -> dict:
    """Errors as a nested dict (marshmallow's shape), empty when the effect is sound."""
    errors: dict = {}
    form, measure = effect.get("form"), effect.get("measure")
    data = effect.get("data") or {}

    def err(key: str, message: str) -> None:
        errors.setdefault("data", {}).setdefault(key, []).append(message)

    if measure not in MEASURES_OF_FORM.get(form, ()):
        errors["measure"] = [f"measure {measure} does not fit form '{form}';"
                             f" use one of {', '.join(MEASURES_OF_FORM.get(form, ()))}"]
    for key, value in data.items():
        if value is not None and key not in ALLOWED.get(form, set()) | {"ci_level"}:
            err(key, f"does not belong to form '{form}'")
    checks = {"counts": _counts, "means": _means, "single_arm": _single_arm}
    if form in checks:
        checks[form](data, err)
    elif form == "effect":
        _effect(data, measure, err)
    elif form == "reported" and not data.get("text"):
        err("text", "form 'reported' needs the figures as published, in text")

    if form in NEVER_POOLED:
        if effect.get("poolable") is True:
            errors["poolable"] = [f"form '{form}' is never pooled"]
    elif effect.get("poolable") is False and not effect.get("not_poolable_reason"):
        errors["not_poolable_reason"] = ["say why the effect is not poolable"]
    return errors
