"""Evidence level (Scientific Maryland Scale) and a padlock-style strength rating.

The rating is deliberately simple and fully written out (``RULE_TEXT_EN``,
``RULE_TEXT_DA``, docs/statistics.md) so a reader can recompute it by hand.
It is modelled on the Education Endowment Foundation's Teaching and Learning
Toolkit padlocks (EEF 2021, Toolkit methodology: start from the amount of
evidence, take padlocks off for weaknesses) and uses GRADE's grounds for
downgrading (Guyatt et al. 2008, BMJ 336:924): study limitations (risk of
bias), inconsistency (I², thresholds of the Cochrane Handbook v6.4, 10.10.2),
imprecision (few participants). Design levels follow the Scientific Maryland
Scale (Sherman et al. 1997; Madaleno & Waights, What Works Centre for Local
Economic Growth, 2015), collapsed to three levels.
"""

from __future__ import annotations

from dataclasses import dataclass

SOM_LEVELS = {
    "rct": 1,
    "cluster-rct": 1,
    "systematic-review": 1,
    "quasi-experimental": 2,
    "controlled-before-after": 2,
    "controlled-study": 2,
    "uncontrolled-before-after": 3,
}

#: (minimum number of studies, padlocks to start from), highest first
STUDY_STEPS = ((25, 5), (10, 4), (5, 3), (2, 2), (1, 1))
MIN_PARTICIPANTS = 200
HIGH_I2 = 75.0
HIGH_ROB_SHARE = 0.5

RULE_TEXT_EN = (
    "Strength of evidence, 0 to 5 padlocks. Start from the number of studies: "
    "1 study = 1 padlock, 2-4 = 2, 5-9 = 3, 10-24 = 4, 25 or more = 5. "
    "Then take off one padlock for each weakness: "
    "(a) fewer than half of the studies are randomised trials or systematic reviews "
    "(Maryland Scale level 1); "
    "(b) one more if no study has a comparison group (only level 3, uncontrolled before-after); "
    "(c) fewer than 200 participants in total (only when the total is known); "
    "(d) considerable heterogeneity, I2 of 75% or more; "
    "(e) more than half of the studies at high risk of bias. "
    "The score never goes below 0; no studies means 0 padlocks."
)

RULE_TEXT_DA = (
    "Evidensens styrke, 0 til 5 hængelåse. Start med antallet af studier: "
    "1 studie = 1 hængelås, 2-4 = 2, 5-9 = 3, 10-24 = 4, 25 eller flere = 5. "
    "Træk derefter én hængelås fra for hver svaghed: "
    "(a) under halvdelen af studierne er randomiserede forsøg eller systematiske reviews "
    "(Maryland-skalaens niveau 1); "
    "(b) én mere, hvis intet studie har en sammenligningsgruppe (kun niveau 3, før-efter uden kontrolgruppe); "
    "(c) under 200 deltagere i alt (kun når det samlede antal kendes); "
    "(d) betydelig heterogenitet, I2 på 75 % eller mere; "
    "(e) over halvdelen af studierne har høj risiko for bias. "
    "Scoren bliver aldrig under 0; ingen studier giver 0 hængelåse."
)


@dataclass(frozen=True)
class Rating:
    score: int
    reasons: tuple[str, ...]


def _levels(designs) -> list[int]:
    designs = list(designs)
    unknown = sorted({d for d in designs if d not in SOM_LEVELS})
    if unknown:
        raise ValueError(f"unknown design(s) {unknown}; known: {sorted(SOM_LEVELS)}")
    return [SOM_LEVELS[d] for d in designs]


def evidence_level(designs) -> int:
    """Best (lowest) Maryland Scale level among the designs: 1, 2 or 3
    (Sherman et al. 1997, collapsed as ``SOM_LEVELS``)."""
    levels = _levels(designs)
    if not levels:
        raise ValueError("evidence_level needs at least one design")
    return min(levels)


def strength(k, designs, n_participants, i2, high_risk_of_bias_share) -> Rating:
    """Padlock score 0-5 and the reasons, by the rule in ``RULE_TEXT_EN``
    (EEF Toolkit padlocks; GRADE downgrading, Guyatt et al. 2008; I² of 75%
    as "considerable", Cochrane Handbook v6.4 §10.10.2).

    ``n_participants`` and ``i2`` may be None (unknown / k = 1): those steps
    then take nothing off, and the reasons say so.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise ValueError(f"k must be a non-negative integer, got {k!r}")
    levels = _levels(designs)
    share = high_risk_of_bias_share
    if share is not None and not 0 <= share <= 1:
        raise ValueError(f"high_risk_of_bias_share must be in [0, 1], got {share!r}")
    if i2 is not None and not 0 <= i2 <= 100:
        raise ValueError(f"i2 must be a percentage in [0, 100], got {i2!r}")
    if n_participants is not None and n_participants < 0:
        raise ValueError(f"n_participants must be >= 0, got {n_participants!r}")
    if k == 0:
        return Rating(0, ("no studies",))
    score = next(s for n, s in STUDY_STEPS if k >= n)
    reasons = [f"{k} {'study' if k == 1 else 'studies'}: start at {score}"]
    if levels:
        rct_share = sum(lv == 1 for lv in levels) / len(levels)
        if rct_share < 0.5:
            score -= 1
            reasons.append(f"-1: only {rct_share:.0%} of studies are randomised trials or reviews")
        if min(levels) == 3:
            score -= 1
            reasons.append("-1: no study has a comparison group")
    else:
        reasons.append("designs not given: no design step applied")
    if n_participants is None:
        reasons.append("participants unknown: no sample-size step applied")
    elif n_participants < MIN_PARTICIPANTS:
        score -= 1
        reasons.append(f"-1: {n_participants} participants in total (< {MIN_PARTICIPANTS})")
    if i2 is not None and i2 >= HIGH_I2:
        score -= 1
        reasons.append(f"-1: considerable heterogeneity (I2 = {i2:.0f}%)")
    if share is not None and share > HIGH_ROB_SHARE:
        score -= 1
        reasons.append(f"-1: {share:.0%} of studies at high risk of bias")
    return Rating(max(0, score), tuple(reasons))
