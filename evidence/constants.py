"""Names and numbers every layer shares, defined once: pure Python (no Flask, no SQL), so statistics may use it.

- ``Z``: the two-sided 95 % normal quantile, ``qnorm(0.975)`` as R prints it to 16 digits;
- ``FIELD_OF_KIND`` / ``KIND_OF_FIELD``: a vocabulary (``interventions``) and the field an effect or a
  parameter names its term in (``intervention``);
- ``STUDY_COLUMNS``: a study's columns as the read side stores and serves them (without its record);
- ``CODE_VERSION``: the installed package's version: page and API caches key on it (new code, new ETags);
- :func:`default_workers`: how many worker processes the build's parallel steps start by default.
"""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version

try:
    CODE_VERSION = version("evidence")
except PackageNotFoundError:  # pragma: no cover
    CODE_VERSION = "dev"

Z = 1.959963984540054

#: The singular field name an effect uses for each vocabulary, in the vocabularies' order.
FIELD_OF_KIND = {
    "interventions": "intervention",
    "target_groups": "target_group",
    "outcomes": "outcome",
    "comparisons": "comparison",
}
KIND_OF_FIELD = {name: kind for kind, name in FIELD_OF_KIND.items()}

STUDY_COLUMNS = ("id", "label", "title", "authors", "et_al", "year", "journal", "publication_type", "doi", "url",
                 "abstract", "design", "evidence_level", "country", "setting", "sample_size", "risk_of_bias",
                 "summary_da", "summary_en", "source", "source_doi", "path")


def default_workers() -> int:
    """One worker process per core, at most 8 (validation, pooling and the index's analysis: each worker
    holds its own copy of what it needs, so more than 8 costs memory for little gain)."""
    return min(os.cpu_count() or 1, 8)
