"""The house style holds: ``ruff check`` and ``ruff format --check`` pass on the whole checkout.

ruff is pinned in the test extra, so a new ruff release cannot fail this by itself.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from ..conftest import ROOT


def _ruff() -> list[str] | None:
    """The pinned ruff of the environment running the tests first (the README runs them from a venv
    not on PATH), then whatever ruff is on PATH."""
    try:
        import ruff  # noqa: F401
    except ImportError:
        found = shutil.which("ruff")
        return [found] if found else None
    return [sys.executable, "-m", "ruff"]


@pytest.mark.parametrize("arguments", [["check", "."], ["format", "--check", "."]], ids=["lint", "format"])
def test_ruff_is_clean(arguments):
    ruff = _ruff()
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    done = subprocess.run([*ruff, *arguments], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
