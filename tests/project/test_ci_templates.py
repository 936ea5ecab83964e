"""The ready-made CI pieces work as shipped: the GitHub Action, the GitLab template, the wheel, the image.

The action's and the template's shell steps are taken out of their YAML and run with bash, with the
environment GitHub or GitLab would give them stubbed (workspace, output file, temp folder, the
action's own checkout). The install steps run for real, once per session: the action installs the
tool from this checkout into a fresh venv, as a release tag would; the template installs the wheel
built from it. ``uses:`` steps (setup-python, the SARIF upload) are GitHub's own and are not run; the
test checks that what they are handed exists. The container image is built where a container engine
works and its base image can be pulled, and skipped otherwise.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml

import ssbtek_validator

from ..conftest import CORPUS, ROOT

INSTALL_TIMEOUT = 600  # a wheel build and an install with dependencies; normally well under a minute
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
GITLAB = yaml.safe_load((ROOT / "ci" / "gitlab-ssbtek.yml").read_text(encoding="utf-8"))
EXPRESSION = re.compile(r"\$\{\{\s*(inputs|steps)\.([\w-]+)(?:\.outputs\.([\w-]+))?\s*\}\}")


def _workspace(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "captures").symlink_to(CORPUS, target_is_directory=True)
    return path


def _bash(script: str, cwd: Path, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    # GitHub runs `shell: bash` as `bash --noprofile --norc -eo pipefail {0}`; GitLab's runner also stops at a failure
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """The wheel a release would ship, built once (``pip wheel``: no extra build tool needed)."""
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    [built] = out.glob("ssbtek_validator-*.whl")
    return built


@pytest.mark.install
def test_the_wheel_carries_what_an_install_needs(wheel):
    assert wheel.name == f"ssbtek_validator-{ssbtek_validator.__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        dist_info = f"ssbtek_validator-{ssbtek_validator.__version__}.dist-info"
        metadata = archive.read(f"{dist_info}/METADATA").decode()
        entry_points = archive.read(f"{dist_info}/entry_points.txt").decode()
    assert "ssbtek_validator/py.typed" in names
    assert any(n.startswith(f"{dist_info}/licenses/LICENSE") or n == f"{dist_info}/LICENSE" for n in names), names
    assert any(n.startswith("ssbtek_validator/_bundled/xsd/") for n in names)
    assert any(n.startswith("ssbtek_validator/_bundled/codelists/") for n in names)
    assert f"Version: {ssbtek_validator.__version__}" in metadata
    for python in ("3.11", "3.12", "3.13"):
        assert f"Classifier: Programming Language :: Python :: {python}" in metadata
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    core = [line for line in requires if "extra ==" not in line]
    assert not [line for line in core if re.search(r"hypothesis|xmlschema", line)], core
    assert any("hypothesis" in line and "extra == 'fuzz'" in line.replace('"', "'") for line in requires)
    assert any("xmlschema" in line and "extra == 'fuzz'" in line.replace('"', "'") for line in requires)
    assert "ssbtek-validate = ssbtek_validator.__main__:run" in entry_points
    assert "ssbtek-validator = ssbtek_validator.__main__:run" in entry_points


# ---- GitHub Action -------------------------------------------------------------------------------


def _substitute(script: str, inputs: dict[str, str], outputs: dict[str, dict[str, str]]) -> str:
    def value(match: re.Match[str]) -> str:
        kind, name, output = match.groups()
        return inputs[name] if kind == "inputs" else outputs.get(name, {}).get(output, "")

    return EXPRESSION.sub(value, script)


def _run_action(workspace: Path, runner_temp: Path, **given: str) -> tuple[list[subprocess.CompletedProcess], dict]:
    """Run the action's ``run:`` steps in order as GitHub would; return each step's result and the outputs."""
    inputs = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    unknown = set(given) - set(inputs)
    assert not unknown, unknown
    inputs.update(given)
    outputs: dict[str, dict[str, str]] = {}
    results = []
    for step in ACTION["runs"]["steps"]:
        if "run" not in step:
            continue
        assert step["shell"] == "bash"
        output_file = runner_temp / "github_output"
        output_file.write_text("", encoding="utf-8")
        env = {
            **os.environ,
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_ACTION_PATH": str(ROOT),
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_STEP_SUMMARY": str(runner_temp / "summary.md"),
            "RUNNER_TEMP": str(runner_temp),
            **{key: _substitute(str(v), inputs, outputs) for key, v in step.get("env", {}).items()},
        }
        done = _bash(_substitute(step["run"], inputs, outputs), workspace, env, timeout=INSTALL_TIMEOUT)
        results.append(done)
        if "id" in step:
            lines = output_file.read_text(encoding="utf-8").splitlines()
            outputs[step["id"]] = dict(line.split("=", 1) for line in lines if "=" in line)
        if done.returncode != 0:
            break
    action_outputs = {name: _substitute(spec["value"], inputs, outputs) for name, spec in ACTION["outputs"].items()}
    return results, action_outputs


@pytest.fixture(scope="session")
def runner_temp(tmp_path_factory) -> Path:
    """RUNNER_TEMP shared by the action runs: the first installs the tool, as the action's first use in a job."""
    return tmp_path_factory.mktemp("runner_temp")


@pytest.mark.install
def test_action_validates_with_annotations_and_sarif_and_fails_the_job(tmp_path, runner_temp):
    workspace = _workspace(tmp_path / "repo")
    results, outputs = _run_action(workspace, runner_temp, paths="captures/v10", args="--as-of 2026-11-01")
    install, validate, final = results
    assert install.returncode == 0, install.stderr[-3000:]
    assert f"ssbtek-validator {ssbtek_validator.__version__}" in install.stdout
    assert validate.returncode == 0, validate.stderr[-2000:]  # the step records the code; the last step fails
    assert re.search(r"^::error file=captures/v10/[^,]+\.xml,line=\d+", validate.stdout, re.MULTILINE)
    assert outputs == {"exit-code": "1", "sarif": "ssbtek.sarif"}
    sarif = json.loads((workspace / "ssbtek.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    assert final.returncode == 1
    upload = next(step for step in ACTION["runs"]["steps"] if "upload-sarif" in step.get("uses", ""))
    assert "always()" in upload["if"] and upload["with"]["sarif_file"] == "${{ steps.validate.outputs.sarif }}"


@pytest.mark.install
def test_action_passes_a_conforming_message_and_keeps_inputs_as_data(tmp_path, runner_temp):
    workspace = _workspace(tmp_path / "repo")
    (workspace / "odd $(touch pwned) name.xml").write_bytes((CORPUS / "v10" / "request-full.xml").read_bytes())
    results, outputs = _run_action(
        workspace, runner_temp, paths="odd*", args="--as-of 2026-11-01", junit="junit.xml", format="text"
    )
    *_, validate, final = results
    # a glob in an input is not expanded and an input is never run as code: the file is looked up literally
    assert not (workspace / "pwned").exists()
    assert outputs["exit-code"] == "3", validate.stdout + validate.stderr
    assert final.returncode == 3
    results, outputs = _run_action(
        workspace, runner_temp, paths="captures/v10/request-full.xml", args="--as-of 2026-11-01", junit="junit.xml"
    )
    assert outputs["exit-code"] == "0", results[-1].stderr
    assert results[-1].returncode == 0
    ElementTree.parse(workspace / "junit.xml")


@pytest.mark.install
def test_a_plain_install_reports_as_the_checkout_does_and_fuzz_says_how_to_get_the_extra(tmp_path, runner_temp):
    """The action's venv is a real install without extras: same JSON report, and fuzz names the extra."""
    venv = runner_temp / "ssbtek-validator"
    if not (venv / "bin" / "ssbtek-validate").exists():
        [install, *_] = _run_action(_workspace(tmp_path / "repo"), runner_temp, paths="captures/v10/request-full.xml")
        assert install.returncode == 0, install.stderr[-3000:]
    lean = venv / "bin" / "python"
    assert subprocess.run([lean, "-c", "import hypothesis"], capture_output=True).returncode != 0
    assert subprocess.run([lean, "-c", "import xmlschema"], capture_output=True).returncode != 0
    args = ["corpus", "--format", "json", "--as-of", "2026-11-01"]
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}  # the installed copy only
    installed = subprocess.run(
        [venv / "bin" / "ssbtek-validator", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    checkout = subprocess.run(
        [sys.executable, "-m", "ssbtek_validator", *args], cwd=ROOT, capture_output=True, text=True
    )
    assert installed.returncode == checkout.returncode == 1, installed.stderr[-2000:]
    assert json.loads(installed.stdout) == json.loads(checkout.stdout)
    fuzz = subprocess.run(
        [venv / "bin" / "ssbtek-validate", "fuzz", "--out", tmp_path / "gen"], env=env, capture_output=True, text=True
    )
    assert fuzz.returncode == 2 and "pip install 'ssbtek-validator[fuzz]'" in fuzz.stderr, fuzz.stderr


# ---- GitLab CI -----------------------------------------------------------------------------------


def _run_gitlab(workspace: Path, **variables: str) -> list[subprocess.CompletedProcess[str]]:
    job = GITLAB["ssbtek"]
    env = {**os.environ, "CI": "true", "GITLAB_CI": "true", "CI_PROJECT_DIR": str(workspace)}
    for name, value in {**job["variables"], **variables}.items():
        env[name] = os.path.expandvars(str(value)) if "$CI_PROJECT_DIR" in str(value) else str(value)
    results = []
    for script in job["script"]:
        done = _bash(script, workspace, env, timeout=INSTALL_TIMEOUT)
        results.append(done)
        if done.returncode != 0:
            break
    return results


def test_gitlab_template_needs_to_be_told_what_to_install(tmp_path):
    [install] = _run_gitlab(_workspace(tmp_path / "repo"))
    assert install.returncode == 2
    assert "set SSBTEK_VALIDATOR" in install.stderr


@pytest.mark.install
def test_gitlab_template_installs_the_wheel_and_writes_its_junit_report(tmp_path, wheel, runner_temp):
    workspace = _workspace(tmp_path / "repo")
    venv = runner_temp / "ssbtek-validator"  # the venv the action made, to keep the test fast: the install is real
    if not (venv / "bin" / "ssbtek-validate").exists():
        venv = tmp_path / "venv"
    results = _run_gitlab(
        workspace, SSBTEK_VALIDATOR=str(wheel), SSBTEK_PATHS="captures/v10", SSBTEK_ARGS="--as-of 2026-11-01",
        SSBTEK_VENV=str(venv),
    )  # fmt: skip
    install, validate = results
    assert install.returncode == 0, install.stderr[-3000:]
    assert validate.returncode == 1, validate.stderr[-2000:]
    assert "nonconformant" in validate.stdout
    suites = ElementTree.parse(workspace / "ssbtek-junit.xml").getroot()
    assert suites.iter("failure")
    for artifact in GITLAB["ssbtek"]["artifacts"]["paths"]:
        assert (workspace / artifact).stat().st_size > 0, artifact
    assert GITLAB["ssbtek"]["artifacts"]["reports"]["junit"] == "ssbtek-junit.xml"


# ---- container image -----------------------------------------------------------------------------


def test_dockerfile_is_slim_non_root_with_the_command_as_entry_point():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.1[1-3]-slim\b", text, re.MULTILINE)
    [user] = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert user not in ("root", "0")
    assert '\nENTRYPOINT ["ssbtek-validate"]' in text
    ignore = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert "**" in ignore and "!tests/" not in ignore and "!corpus/" not in ignore


def _engine() -> str:
    for name in ("docker", "podman"):
        found = shutil.which(name)
        if found and subprocess.run([found, "info"], capture_output=True, timeout=30).returncode == 0:
            return found
    pytest.skip("no working container engine here (docker/podman missing or its daemon not running)")


@pytest.mark.install
def test_container_image_builds_and_checks_mounted_messages(tmp_path):
    engine = _engine()
    tag = "ssbtek-validator-test:latest"
    build = subprocess.run(
        [engine, "build", "-q", "-t", tag, str(ROOT)], capture_output=True, text=True, timeout=INSTALL_TIMEOUT
    )
    if build.returncode != 0 and re.search(r"pull|manifest|registry|resolve|network|dial tcp", build.stderr, re.I):
        pytest.skip(f"the base image or packages could not be fetched: {build.stderr.strip()[-300:]}")
    assert build.returncode == 0, build.stderr[-3000:]
    try:
        whoami = subprocess.run(
            [engine, "run", "--rm", "--entrypoint", "id", tag, "-u"], capture_output=True, text=True
        )
        assert whoami.stdout.strip() not in ("", "0")
        run = subprocess.run(
            [engine, "run", "--rm", "--network", "none", "-v", f"{CORPUS}:/work:ro", tag, "--format", "json", "v10"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 1, run.stderr[-2000:]
        assert json.loads(run.stdout)["messages"]
    finally:
        subprocess.run([engine, "rmi", "-f", tag], capture_output=True)
