"""A plain install (no ``fuzz`` extra) checks, reports and certifies exactly as a full one does.

Hypothesis and xmlschema are blocked in a child process by a ``sys.meta_path`` finder that raises
ImportError for them, which is what Python does where they are not installed; ``fuzz`` then says
how to get them (exit 2), and the pytest plugin loads without the engine until a fixture is used.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from ..conftest import CORPUS, ROOT

BLOCKER = textwrap.dedent(
    """
    import sys

    BLOCKED = {"hypothesis", "xmlschema"}


    class Missing:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None


    sys.meta_path.insert(0, Missing())
    """
)

RUN_CLI = textwrap.dedent(
    """
    import atexit
    atexit.register(lambda: sys.stderr.write(
        "HEAVY:" + ",".join(sorted(m for m in sys.modules if m.split(".")[0] in ("hypothesis", "xmlschema"))) + "\\n"
    ))
    from ssbtek_validator.cli.main import main
    sys.argv = ["ssbtek-validate", *sys.argv[1:]]
    main()
    """
)


def _run(args: list[str], *, blocked: bool, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    code = (BLOCKER if blocked else "import sys\n") + RUN_CLI
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def _heavy(done: subprocess.CompletedProcess[str]) -> str:
    [line] = [line for line in done.stderr.splitlines() if line.startswith("HEAVY:")]
    return line.removeprefix("HEAVY:")


def test_the_blocker_really_blocks():
    """Guards the guard: with the finder in place, importing the generators fails as on a lean install."""
    code = BLOCKER + "import ssbtek_validator.strategies\n"
    done = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "pip install 'ssbtek-validator[fuzz]'" in done.stderr


def test_check_gives_the_same_json_report_without_the_fuzz_extra(tmp_path):
    args = ["check", str(CORPUS), "--format", "json", "--as-of", "2026-11-01"]
    full = _run(args, blocked=False)
    lean = _run(args, blocked=True)
    assert lean.returncode == full.returncode == 1, lean.stderr[-2000:]
    assert json.loads(lean.stdout) == json.loads(full.stdout)
    assert _heavy(lean) == ""


def test_every_report_format_and_certify_run_without_the_fuzz_extra(tmp_path):
    formats = ["text", "json", "junit", "sarif", "github", "html"]
    args = ["check", str(CORPUS / "v10"), "--as-of", "2026-11-01"]
    for name in formats:
        args += ["--format", f"{name}:{tmp_path / f'report.{name}'}"]
    lean = _run(args, blocked=True)
    assert lean.returncode == 1, lean.stderr[-2000:]
    assert _heavy(lean) == ""
    for name in formats:
        assert (tmp_path / f"report.{name}").stat().st_size > 0, name

    cert = _run(["certify", "--version", "10", "--out", str(tmp_path / "cert"), str(CORPUS / "v10")], blocked=True)
    assert cert.returncode in (0, 1), cert.stderr[-2000:]
    assert "Traceback" not in cert.stderr
    assert json.loads((tmp_path / "cert" / "report.json").read_text(encoding="utf-8"))
    assert _heavy(cert) == ""


def test_fuzz_without_the_extra_says_how_to_get_it(tmp_path):
    lean = _run(["fuzz", "--out", str(tmp_path / "out"), "--count", "1"], blocked=True)
    assert lean.returncode == 2
    assert "Traceback" not in lean.stderr
    assert "pip install 'ssbtek-validator[fuzz]'" in lean.stderr
    assert not (tmp_path / "out").exists()


def test_the_pytest_plugin_loads_without_the_engine_or_the_generators():
    """pytest imports the plugin at every start in every project that installed the tool: keep it light."""
    code = textwrap.dedent(
        """
        import sys
        import ssbtek_validator.pytest_plugin
        heavy = (
            "ssbtek_validator.run.driver",
            "ssbtek_validator.packs.schema_packs",
            "ssbtek_validator.strategies",
            "hypothesis",
            "xmlschema",
        )
        print(",".join(m for m in heavy if m in sys.modules))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
