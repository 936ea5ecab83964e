"""Version lifecycle: a message is judged against the dates its SSBTEK (and LEFI Online) version was served.

Each pack knows when it went live and when it closed (``live_from`` / ``closed`` in pack.toml, from
the release notes). A message dated after its version closed was sent to a service that no longer
answered: an error. One dated before go-live can only be test traffic or a wrong date: a warning.
The message's date is ``frageTidpunkt``, else ``--as-of``, else today (the engine decides; the
report says which). ``closed`` is read as the last day served: the notes give a day, not an hour, so
a message dated on the closing day itself is given the benefit of the doubt.
"""

from __future__ import annotations

from collections.abc import Iterator

from ssbtek_validator.packs.lefi_online import lefi_facts
from ssbtek_validator.packs.schema_packs import builtin_packs
from ssbtek_validator.reading.message import element_path
from ssbtek_validator.results.model import Finding, Severity
from ssbtek_validator.rules.base import Context, Versions
from ssbtek_validator.rules.versioned import lefi_view


def _dated(context: Context) -> str:
    payload = context.message.payload
    stamped = payload is not None and next(payload.iterdescendants("{*}frageTidpunkt"), None) is not None
    how = "frageTidpunkt" if stamped else "no frageTidpunkt: --as-of or today"
    return f"{context.message_date.isoformat()} ({how})"


def _finding(rule, context: Context, message: str, element=None) -> Finding:
    element = element if element is not None else context.message.payload
    return Finding(
        rule=rule.id,
        severity=rule.severity,
        message=message,
        file=context.message.name,
        line=element.sourceline if element is not None else None,
        path=element_path(element),
    )


def _open_versions() -> str:
    versions = sorted(p.version for p in builtin_packs().values() if p.closed is None)
    return ", ".join(f"v{n}" for n in versions)


class ClosedVersionRule:
    id = "SSBT-LIFECYCLE-CLOSED"
    severity = Severity.ERROR
    summary = "The message is dated on or before the day its SSBTEK version closed."
    versions = Versions.of(range(6, 7))
    applies_by_kind = True  # applies reads only the pack, operation and direction
    explanation = (
        "A pack with a closed date (v6: 2020-10-31, after two postponements) no longer served messages after "
        "it. The message's date is frageTidpunkt, else --as-of, else today: a captured v6 message without "
        "frageTidpunkt checked today is to a closed version unless --as-of gives the day it was sent."
    )
    example = "Dated 2026-11-26 (no frageTidpunkt: --as-of or today); SSBTEK v6 closed on 2020-10-31."

    def applies(self, context: Context) -> bool:
        return context.pack.closed is not None and context.message.payload is not None

    def check(self, context: Context) -> Iterator[Finding]:
        pack = context.pack
        if context.message_date <= pack.closed:
            return
        served = f"was served from {pack.live_from.isoformat()} and " if pack.live_from else ""
        yield _finding(
            self,
            context,
            f"Dated {_dated(context)}; SSBTEK v{pack.version} {served}closed on {pack.closed.isoformat()}: a "
            f"message to it after that is not answered. Versions without a closing date: {_open_versions()}.",
        )


class NotLiveRule:
    id = "SSBT-LIFECYCLE-NOT-LIVE"
    severity = Severity.WARNING
    summary = "The message is not dated before its SSBTEK version (or stated LEFI Online version) went live."
    versions = Versions.of(range(6, 9))
    applies_by_kind = True  # applies reads only the pack, operation and direction
    explanation = (
        "v6 went live 2018-09-16, v7 2018-12-29 (LEFI Online 5.1 on 2019-03-17), v8 2019-11-17. A message dated "
        "earlier was not answered in production: test traffic, a clock error, or the wrong namespace. A warning, "
        "not an error, because test environments opened before go-live. The LEFI date is checked only when the "
        "message states its lefiOnlineVersion."
    )
    example = "Dated 2018-11-02 (frageTidpunkt); SSBTEK v7 went live on 2018-12-29."

    def applies(self, context: Context) -> bool:
        return context.message.payload is not None and (
            context.pack.live_from is not None or bool(lefi_facts().served_by(context.pack.version))
        )

    def check(self, context: Context) -> Iterator[Finding]:
        pack = context.pack
        when = context.message_date
        if pack.live_from is not None and when < pack.live_from:
            yield _finding(
                self,
                context,
                f"Dated {_dated(context)}; SSBTEK v{pack.version} went live on {pack.live_from.isoformat()}.",
            )
            return  # the LEFI version cannot have been live either: one finding is enough
        view = lefi_view(context)
        judged = view.judgement if view is not None else None
        if judged is None or not judged.from_message:
            return
        lefi = lefi_facts().find(judged.version)
        if lefi is not None and when < lefi.live_from:
            yield _finding(
                self,
                context,
                f"Dated {_dated(context)}; LEFI Online {lefi.version}, named by {judged.reason}, went live on "
                f"{lefi.live_from.isoformat()} (in SSBTEK v{lefi.ssbtek}).",
                judged.stated_element,
            )
