"""Helpers for the hardening suite: hostile messages built at test time from corpus messages.

Nothing big is committed: a 1 GB file, 100,000 levels of nesting or megabytes of base64 are made
in ``tmp_path`` (or in memory) by the test that needs them.
"""

from __future__ import annotations

import base64
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass

from .conftest import CORPUS, ROOT

REQUEST = (CORPUS / "v10" / "request-full.xml").read_bytes()
ANSWER = (CORPUS / "v10" / "answer-all-agencies-data.xml").read_bytes()
SOAP_START = b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'


def with_doctype(message: bytes, doctype: str) -> bytes:
    """``message`` with ``doctype`` between its XML declaration and its root."""
    declaration, rest = message.split(b"?>", 1)
    return declaration + b"?>\n" + doctype.encode() + rest


def replace_text(message: bytes, element: str, new: bytes) -> bytes:
    """Replace the text of the first ``<element>`` (qualified name as written) in ``message``."""
    pattern = re.compile(rb"(<" + re.escape(element.encode()) + rb">)[^<]*(</)", re.DOTALL)
    replaced, count = pattern.subn(lambda m: m.group(1) + new + m.group(2), message, count=1)
    assert count == 1, element
    return replaced


def in_request(inner: bytes) -> bytes:
    """``inner`` placed inside the FK fraga of the request, where the schema has a child sequence."""
    return REQUEST.replace(b"<ssbt:fraga>", b"<ssbt:fraga>" + inner, 1)


def lefi_request(json_text: bytes) -> bytes:
    """The request with its FK LEFI JSON payload replaced (base64 of ``json_text``)."""
    return replace_text(REQUEST, "ssbt:lefiJsonFraga", base64.b64encode(json_text))


def csn_answer(xml: bytes) -> bytes:
    """The answer with its CSN payload replaced (base64 of ``xml``)."""
    return replace_text(ANSWER, "ssbt:svar", base64.b64encode(xml))


@dataclass(frozen=True)
class Run:
    exit_code: int
    stdout: str
    stderr: str
    #: peak resident memory of the CLI process, in MiB
    peak_mib: float


_MEASURE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:])
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
sys.exit(done.returncode)
"""


def run_cli(*args: str, stdin=None, timeout: float = 120) -> Run:
    """The CLI in a child process, under the network guard, with its peak memory measured.

    A fresh measuring process is the child's only parent, so ``RUSAGE_CHILDREN`` is the CLI's own
    peak, not the largest of everything this test process ever started.
    """
    command = [sys.executable, "-c", _MEASURE, sys.executable, "-m", "tests.netguard", *args]
    # a session of its own, so that a timeout stops the CLI too: killing only the measuring process left the CLI
    # running on after the test had failed, using a core for as long as it took
    with subprocess.Popen(
        command,
        cwd=ROOT,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise
    *rest, peak = stderr.rstrip("\n").split("\n")
    return Run(process.returncode, stdout, "\n".join(rest), int(peak) / 1024)  # Linux: ru_maxrss in KiB
