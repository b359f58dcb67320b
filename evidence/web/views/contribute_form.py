"""One study typed into a form, as the one-row extraction CSV it stands for.

The form's fields are the template's columns (templates/extraction-template.csv), so the
study is checked, stored and approved exactly as an uploaded spreadsheet is, and problems
name the same columns.
"""

from __future__ import annotations

import csv
import io

#: The template's columns, in its order: the single-study form has one field for each.
#: (Its intervention, target group, outcome, comparison, measure and design are the form's
#: fields for every row, as for an upload.)
SINGLE_FIELDS = ("study", "doi", "country", "timepoint_months", "ai", "bi", "ci", "di", "n1i", "n2i", "m1i",
                 "sd1i", "m2i", "sd2i", "yi", "vi", "sei")


def single_study_csv(values: dict[str, str]) -> bytes:
    """A header and one row; columns left empty are left out, so the row reads as the figures given."""
    given = [f for f in SINGLE_FIELDS if values.get(f)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(given or ["study"])
    writer.writerow([values[f] for f in given] or [""])
    return out.getvalue().encode("utf-8")
