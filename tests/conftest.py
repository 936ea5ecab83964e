"""Shared fixtures and the Hypothesis profiles (``ci`` is the default under CI=true)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"
CONTRACTS = SHARED / "contracts"

settings.register_profile(
    "ci", max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.register_profile("deep", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def run_cli(*args: object, stdin: bytes | None = None, env: dict[str, str] | None = None) -> Result:
    """``ssbtek-validate ARGS…`` in this process, as click's runner sees it: the one way tests call the command."""
    from ssbtek_validator.cli.main import main  # imported on use: conftest loads before every test

    return CliRunner().invoke(main, [str(arg) for arg in args], input=stdin, env=env)


@pytest.fixture
def cli() -> Callable[..., Result]:
    """The command line, for a test that asks for it as a fixture: ``cli("--format", "json", path)``."""
    return run_cli


@pytest.fixture(scope="session")
def corpus() -> Path:
    return CORPUS


def _bundle(name: str) -> Path:
    bundle = CONTRACTS / name
    if not bundle.is_dir():
        pytest.skip(f"../shared/contracts/{name} is not present")
    return bundle


@pytest.fixture(scope="session")
def v10_bundle() -> Path:
    return _bundle("ssbtek-v10")


@pytest.fixture(scope="session")
def v11_bundle() -> Path:
    return _bundle("ssbtek-v11-provisional")


# Every test runs with the network blocked and fails if it tried (see tests/netguard.py).
from .netguard import network_guard  # noqa: E402, F401
