"""Pure statistics for the evidence base: effect sizes and meta-analysis.

Everything here is numpy/scipy only and reproduces R's metafor 3.8-1
(Viechtbauer 2010, JSS 36(3)); docs/statistics.md gives every formula and
its source. Import the modules (``from evidence.stats import rma`` gives the
module ``rma``; its function is ``rma.rma``). Functions are deliberately not
re-exported here, because ``escalc`` and ``rma`` are both module and function
names.
"""

__all__ = ["che", "conversions", "dependent", "escalc", "likelihood", "metareg", "multilevel", "regtest", "rma",
           "robust", "rootfind", "sensitivity", "stacked", "strength", "tau2", "units"]
