"""Keep personal data out of every output unless the user asks for it (``--show-values``).

Every real SSBTEK message is about a person receiving social assistance. We therefore mask by
default and let through only values of fields that hold codes, dates, flags and counts: an allow
list, because a deny list would leak the first field nobody thought of. Free text produced by
libraries (schema error messages) is scrubbed of the values it quotes and of anything that looks
like a personnummer.
"""

from __future__ import annotations

import re

#: Element or attribute local names whose values are never personal: codes, dates, flags.
PUBLIC_FIELDS = frozenset(
    {
        "inkludera", "kalla", "felkod", "resultat", "giltighetstid", "arendeTyp", "beslutsTyp", "beslutsKod",
        "fromDatum", "tomDatum", "frageTidpunkt", "fraganSkallInkluderasISvaret", "ar", "version", "anropad",
        "id", "beloppstyp", "formanstyp", "ResultatKod", "stodform", "Schemaversion", "schemaVersion",
        "foretagsinformation", "individuppgifter", "skattekonto", "skatteuppgifter", "beskattningsbilagor",
        "lefiOnlineVersion", "From", "Tom", "ansokningsdatum", "beslutsdatum", "inresedatum", "Test",
    }
)  # fmt: skip

#: A personnummer or samordningsnummer in any of its usual spellings, or an organisationsnummer.
_IDENTITY = re.compile(r"(?<!\d)(?:\d{2})?\d{6}[-+]?\d{4}(?!\d)")
_QUOTED_VALUE = re.compile(r"(The value |^|[\s(])'([^']*)'( is not)")
_THE_VALUE = re.compile(r"The value '([^']*)'")


def mask(value: str) -> str:
    """Keep the shape, drop the content: the reader sees length and kind, not the person."""
    return re.sub(r"[0-9]", "9", re.sub(r"[^\W\d_]", "x", value))


def masked_value(value: str | None, field: str | None, show_values: bool) -> str | None:
    if value is None or show_values or (field and field in PUBLIC_FIELDS):
        return value
    return mask(value)


def scrub_text(text: str, field: str | None, show_values: bool) -> str:
    """Mask the values a library message quotes (lxml: "The value '…'", "'…' is not a valid value")."""
    if show_values:
        return text
    if not (field and field in PUBLIC_FIELDS):
        text = _THE_VALUE.sub(lambda m: f"The value '{mask(m.group(1))}'", text)
        text = _QUOTED_VALUE.sub(lambda m: f"{m.group(1)}'{mask(m.group(2))}'{m.group(3)}", text)
    return _IDENTITY.sub(lambda m: mask(m.group()), text)


def mask_identities(text: str) -> str:
    """Mask what looks like a personnummer, samordningsnummer or organisationsnummer, wherever it stands."""
    return _IDENTITY.sub(lambda m: mask(m.group()), text) if _IDENTITY.search(text) else text
