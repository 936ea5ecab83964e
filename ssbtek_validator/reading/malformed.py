"""Turn a message libxml2 refused into one finding that says why, in one line.

libxml2 refuses for four different reasons that call for different answers: the message is not
XML (SSBT-WELLFORMED), its bytes do not match its encoding (SSBT-ENCODING), it hit one of libxml2's
built-in limits that we never lift (SSBT-LIMIT: the message is *unchecked*, not wrong), or it
declares a DOCTYPE whose entities tripped the amplification guard (SSBT-DTD). Its messages also end
in ", line N, column M" and sometimes a newline, which our findings carry in their own fields.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from lxml import etree

from ssbtek_validator.reading.encoding import Prolog, explain_wide_without_bom, has_doctype_in_prolog
from ssbtek_validator.reading.limits import LIBXML2_MAX_DEPTH
from ssbtek_validator.results.masking import mask

_ENCODING_ERRORS = frozenset(
    {
        etree.ErrorTypes.ERR_INVALID_ENCODING,
        etree.ErrorTypes.ERR_UNSUPPORTED_ENCODING,
        etree.ErrorTypes.ERR_UNKNOWN_ENCODING,
        etree.ErrorTypes.ERR_ENCODING_NAME,
    }
)
_LIMIT_WORDS = re.compile(r"XML_PARSE_HUGE|Excessive depth|too long|too big|Resource limit", re.IGNORECASE)
_TRAILER = re.compile(r",?\s*line \d+, column \d+\s*$")
#: libxml2 may quote document text (names, entity names); a long digit run there could be a personnummer.
_DIGITS = re.compile(r"\d{6,}")

DTD_TEXT = (
    "The message declares a DOCTYPE; SOAP 1.1 forbids DTDs and entity declarations. "
    "Nothing in it was loaded or expanded, and the message is not checked further."
)


class SyntaxProblem(NamedTuple):
    rule: str
    message: str
    line: int | None
    column: int | None


def reason(exc: etree.XMLSyntaxError) -> str:
    """libxml2's own words, on one line, without the location it repeats and without long digit runs."""
    text = str(exc.msg or exc or "unknown parser error")
    text = " ".join(text.split())
    text = _TRAILER.sub("", text).rstrip(" .,")
    return _DIGITS.sub(lambda m: mask(m.group()), text) or "unknown parser error"


def classify(exc: etree.XMLSyntaxError, data: bytes, prolog: Prolog) -> SyntaxProblem:
    line, column = _location(exc)
    why = reason(exc)
    if has_doctype_in_prolog(data, prolog):
        return SyntaxProblem("SSBT-DTD", f"{DTD_TEXT[:-1]} (the parser stopped: {why}).", 1, None)
    if exc.code == etree.ErrorTypes.ERR_RESOURCE_LIMIT or _LIMIT_WORDS.search(why):
        if "depth" in why.lower():
            text = (
                f"Elements nest deeper than {LIBXML2_MAX_DEPTH} levels, libxml2's limit, which this tool never "
                "lifts; the message is not checked."
            )
        else:
            text = f"libxml2 stopped at one of its size limits, which this tool never lifts ({why}); not checked."
        return SyntaxProblem("SSBT-LIMIT", text, line, column)
    wide = explain_wide_without_bom(prolog)
    if wide:
        return SyntaxProblem("SSBT-ENCODING", f"Not readable as XML: {wide}.", line, column)
    if _declares_wide_in_narrow_bytes(prolog):
        text = (
            f'The message declares encoding="{prolog.declared}" but has no byte order mark and its bytes are not '
            f"{prolog.declared} (every character is one byte, as in UTF-8); a parser reading it as declared stops "
            f"({why}). Declare the encoding the bytes use (XML 1.0, 4.3.3)."
        )
        return SyntaxProblem("SSBT-ENCODING", text, line, column)
    if exc.code in _ENCODING_ERRORS:
        return SyntaxProblem("SSBT-ENCODING", _encoding_text(exc, why, prolog), line, column)
    return SyntaxProblem("SSBT-WELLFORMED", f"Not well-formed XML: {why}.", line, column)


def _declares_wide_in_narrow_bytes(prolog: Prolog) -> bool:
    """A UTF-16/32 name in a declaration written one byte per character: the usual lie of a message re-encoded
    as UTF-8 with its declaration kept (libxml2 then says only "Blank needed here")."""
    declared = (prolog.declared or "").upper().replace("_", "-")
    return not (prolog.bom or prolog.guessed) and declared.startswith(("UTF-16", "UTF16", "UTF-32", "UCS-"))


def _encoding_text(exc: etree.XMLSyntaxError, why: str, prolog: Prolog) -> str:
    if exc.code != etree.ErrorTypes.ERR_INVALID_ENCODING:
        return f"{why}; expected UTF-8 or UTF-16 (SOAP 1.1 messages use one of them)."
    if prolog.bom or prolog.guessed:
        used = f"{prolog.bom or prolog.guessed} (from the {'byte order mark' if prolog.bom else 'NUL bytes'})"
    elif prolog.declared:
        used = f'{prolog.declared}, the encoding the XML declaration names (encoding="{prolog.declared}")'
    else:
        used = "UTF-8, the default when the message declares no encoding"
    return f"The bytes here are not valid {used}; the content is in another encoding than the one declared."


def _location(exc: etree.XMLSyntaxError) -> tuple[int | None, int | None]:
    """lxml's ``position`` column is libxml2's, 1-based like every other column we report."""
    line, column = getattr(exc, "position", None) or (exc.lineno, exc.offset)
    return (line or None), (column or None)
