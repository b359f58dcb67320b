"""Forest-plot element ids are the same in every process (the pages carry a strong ETag)."""

from __future__ import annotations

import subprocess
import sys


def test_svg_ids_do_not_change_between_processes():
    code = ("from evidence.web.sections import svg_id; "
            "print(svg_id('cbt-offenders.offenders.recidivism.control.0-12m.OR'))")
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(runs) == 1 and runs.pop().startswith("fp-")
