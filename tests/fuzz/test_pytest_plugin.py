"""The pytest plugin as a vendor uses it: ``assert_conforms`` and the strategies under ``@given``."""

from __future__ import annotations

import os
import subprocess
import sys

from ..conftest import CORPUS, ROOT

VENDOR_TESTS = """
from hypothesis import given, settings
from ssbtek_validator.strategies import messages


def test_valid_file_passes(assert_conforms):
    result = assert_conforms(r"{valid}")
    assert result.detection.version == 10


def test_invalid_file_fails_with_its_findings(assert_conforms):
    assert_conforms(r"{invalid}")


@settings(max_examples=5, deadline=None)
@given(messages(version=11, direction="answer"))
def test_generated_answers_conform(assert_conforms, document):
    assert_conforms(document)


def test_strategies_fixture(ssbtek_strategies):
    assert ssbtek_strategies.messages is messages
"""


def test_plugin_fixture_and_strategies_in_a_vendor_suite(tmp_path, pytestconfig):
    (tmp_path / "test_vendor.py").write_text(
        VENDOR_TESTS.format(
            valid=CORPUS / "v10" / "request-full.xml", invalid=CORPUS / "v10" / "invalid-personidentitet-11-digits.xml"
        ),
        encoding="utf-8",
    )
    # installed with its entry point the plugin loads itself; from a checkout it is named with -p
    load = [] if pytestconfig.pluginmanager.hasplugin("ssbtek") else ["-p", "ssbtek_validator.pytest_plugin"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *load, str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    assert "1 failed, 3 passed" in output, output
    assert "test_invalid_file_fails_with_its_findings" in output
    assert "SSBT-XSD error: ssbt:personidentitet" in output and "does not conform" in output
