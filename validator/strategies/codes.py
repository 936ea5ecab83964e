"""Code values for generated documents: the codes a list holds on the day a document is dated.

Until the effective-dated code lists (``codelists/``, issue 4) are in the project, the few lists the
generators need fall back to the values DOMAIN.md states (seed release notes, the LEFI v9 code
lists): they are facts from those sources, kept minimal, and replaced by the code-list files as
soon as those exist.
"""

from __future__ import annotations

from datetime import date

_FALLBACK: dict[str, tuple[str, ...]] = {
    # LEFI v9 förmånsgrupper named in DOMAIN.md and used in the corpus
    "lefi-formansgrupp": ("FK:BOB", "FK:SJP", "FK:PJOB", "FK:OMV", "FK:MEK", "PM:AP"),
    "lefi-ovrig-information": ("FK:GEPI",),
    "lefi-tillstand": ("OK", "FELANDE", "OTILLGANGLIG"),
}


def code_values(name: str, day: date) -> tuple[str, ...]:
    """Codes of list ``name`` in force on ``day``."""
    return _FALLBACK[name]
