"""Resource limits, as settings with documented defaults.

Captured traffic comes from outside; every limit here exists so that one hostile or broken input
costs a bounded amount of memory and time and becomes a finding instead of a crash. The README
("Limits") lists them with their defaults; hitting one makes the message *incomplete* (exit 3)
with a one-line explanation naming the option that raises it.
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024
#: libxml2 refuses deeper documents itself unless its "huge" option is set, which we never do; a
#: larger ``max_depth`` could therefore never take effect.
LIBXML2_MAX_DEPTH = 256


@dataclass(frozen=True, slots=True)
class Limits:
    #: Largest message read, in bytes. SSBTEK answers with every agency are tens of kB; 16 MiB is generous.
    #: Reading stops at this many bytes plus one, so a larger file never enters memory.
    max_message_bytes: int = 16 * MIB
    #: Largest decoded nested payload (base64 CSN XML, LEFI JSON, SKV parts), in bytes.
    max_decoded_bytes: int = 8 * MIB
    #: Deepest element nesting accepted (the root is depth 1); at most LIBXML2_MAX_DEPTH.
    max_depth: int = LIBXML2_MAX_DEPTH
    #: Most nodes (elements + attributes, or JSON values) one document may build, estimated before
    #: parsing by counting ``<`` and ``=`` (XML) or ``[ { ,`` (JSON). A parsed node costs ~100 times
    #: the few bytes that spell it, so this, not the byte size, is what bounds memory for dense input.
    max_nodes: int = 1_000_000
    #: Findings one rule reports per message; past it a count of the rest is reported instead.
    #: A message with 60,000 schema violations is as nonconformant with the first thousand listed.
    max_findings: int = 1000
    #: Most SOAP exchanges one HAR capture may hold. Each becomes two messages with their results, which
    #: the report holds to the end of the run: ~10 kB each, so this, with ``max_nodes``, is what bounds the
    #: memory a 16 MiB capture of tiny exchanges costs. A session's capture holds tens.
    max_exchanges: int = 10_000
    #: Most findings one run keeps in memory for its report (~1 kB each). Past it, the findings of further
    #: messages are counted, not kept: each such message keeps the one finding that decides its verdict, so
    #: verdicts, totals and the exit code are unchanged, and one run-level info says how many were left out.
    max_run_findings: int = 100_000

    def __post_init__(self) -> None:
        if not 1 <= self.max_depth <= LIBXML2_MAX_DEPTH:
            raise ValueError(f"max_depth must be between 1 and {LIBXML2_MAX_DEPTH} (libxml2's own limit)")


DEFAULT_LIMITS = Limits()
