"""The R oracle must be there: a missing R is a failure, never a skip (`make test` installs it)."""

from __future__ import annotations

import pytest

from evidence.oracle.runner import r_available


@pytest.fixture(scope="session", autouse=True)
def r_is_installed():
    if not r_available():
        pytest.fail("Rscript with metafor and clubSandwich is missing: run scripts/install-test-deps")


def pytest_terminal_summary(terminalreporter):
    from .test_knowledge_base import CHECKED

    if CHECKED:
        terminalreporter.write_line("R oracle: every stored parameter of the knowledge base refitted in R and "
                                    f"equal: {', '.join(f'{n} {what}' for what, n in CHECKED.items())}")
