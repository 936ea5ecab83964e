"""Resource limits, as settings with documented defaults.

Captured traffic comes from outside; every limit here exists so that one hostile or broken input
costs a bounded amount of memory and time and becomes a finding instead of a crash.
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    #: Largest message read, in bytes. SSBTEK answers with every agency are tens of kB; 16 MiB is generous.
    max_message_bytes: int = 16 * MIB
    #: Largest decoded nested payload (base64 CSN XML, LEFI JSON, SKV parts), in bytes.
    max_decoded_bytes: int = 8 * MIB
    #: Deepest element nesting accepted. libxml2 refuses past 256 without its "huge" option, which we never set.
    max_depth: int = 256


DEFAULT_LIMITS = Limits()
