"""Tests that drive a real system program (Chromium, PostgreSQL, Graphviz) ask for it here."""

import os

import pytest


def require_system_program(name, found):
    """Skip a test whose system program (Chromium, PostgreSQL) is missing, except in CI.

    CI installs them (scripts/test-system-deps.sh) and must run these tests, so there a missing
    program fails the test instead of skipping it.
    """
    if found:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{name} is missing in CI: scripts/test-system-deps.sh should have "
                    "installed it")
    pytest.skip(f"{name} is not installed (scripts/test-system-deps.sh installs it)")
