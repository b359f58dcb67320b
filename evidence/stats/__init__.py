"""Pure statistics for the evidence base: effect sizes and meta-analysis.

Everything here is numpy/scipy only and reproduces R's metafor 3.8-1
(Viechtbauer 2010, JSS 36(3)); see docs/statistics.md for every formula and
its source.
"""

from .escalc import MEASURES, EffectSize, EffectSizeError, escalc, escalc_many
from .rma import METHODS, TESTS, Fit, rma

__all__ = [
    "MEASURES", "EffectSize", "EffectSizeError", "escalc", "escalc_many",
    "METHODS", "TESTS", "Fit", "rma",
]
