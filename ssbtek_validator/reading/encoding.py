"""What the first bytes of a message say about it, read before (and after) libxml2 does.

libxml2 decides the encoding from a byte order mark, else the XML declaration, and silently lets a
BOM overrule a declaration that contradicts it, which XML 1.0 (§4.3.3) calls a fatal error. When it
refuses a message instead, its own words ("Char 0x0 out of allowed range") do not tell a vendor
that the file is UTF-16 without a BOM. This module looks at the prolog only, cheaply, so that
encoding problems become findings that say what was found and what was expected.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

#: byte order mark -> the encoding it announces (longest first: the UTF-32 LE mark starts like UTF-16 LE)
BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe\x00\x00", "UTF-32LE"),
    (b"\x00\x00\xfe\xff", "UTF-32BE"),
    (b"\xef\xbb\xbf", "UTF-8"),
    (b"\xff\xfe", "UTF-16LE"),
    (b"\xfe\xff", "UTF-16BE"),
)
#: the first bytes of the marks
_BOM_LEADS = frozenset(mark[:1] for mark, _ in BOMS)
#: Encoding names a declaration may use for each BOM family without contradicting it.
_FAMILIES = {
    "UTF-8": {"UTF-8", "UTF8"},
    "UTF-16LE": {"UTF-16", "UTF-16LE", "UTF16", "ISO-10646-UCS-2", "UCS-2"},
    "UTF-16BE": {"UTF-16", "UTF-16BE", "UTF16", "ISO-10646-UCS-2", "UCS-2"},
    "UTF-32LE": {"UTF-32", "UTF-32LE", "ISO-10646-UCS-4", "UCS-4"},
    "UTF-32BE": {"UTF-32", "UTF-32BE", "ISO-10646-UCS-4", "UCS-4"},
}
#: Single-byte encodings whose content we check for UTF-8 bytes (the usual lie: UTF-8 labelled Latin-1).
_SINGLE_BYTE = re.compile(r"^(ISO-8859-\d+|LATIN-?\d|WINDOWS-125\d|CP125\d|US-ASCII|ASCII)$", re.IGNORECASE)
#: Declared encodings in which every ASCII character is its own byte and no other character uses a byte
#: below 0x80: a byte scan for markup (``<!DOCTYPE``) sees what the parser sees. UTF-16/32 are read by
#: their BOM or their NUL bytes. Any other encoding (UTF-7, ISO-2022, EBCDIC, …) can spell ``<!`` in
#: other bytes, so it is refused: a message in it cannot be checked safely.
_CHECKABLE = re.compile(
    r"^(UTF-?8|UTF-?16(LE|BE)?|UTF-?32(LE|BE)?|UCS-?[24]|ISO-10646-UCS-[24]|US-ASCII|ASCII|"
    r"ISO[-_]?8859-\d+|LATIN-?\d|WINDOWS-125\d|CP125\d)$",
    re.IGNORECASE,
)
#: encodings whose markup is not ASCII bytes: a byte scan for markup cannot be trusted in them
_WIDE = re.compile(r"^(UTF-?16|UTF-?32|UCS-?[24]|ISO-10646)", re.IGNORECASE)
#: "<?xm" in EBCDIC: libxml2 detects these bytes and so do we, to read the declaration they start.
_EBCDIC_START = b"\x4c\x6f\xa7\x94"
_DECLARATION = re.compile(r"^<\?xml\s[^>]*?encoding\s*=\s*[\"']([^\"']{0,40})[\"']")
_DOCTYPE = re.compile(r"<!DOCTYPE", re.IGNORECASE)
#: Enough bytes to hold a prolog: XML declaration, comments and the start of a DOCTYPE.
_HEAD = 4096
#: An XML declaration is at the very start and short; a BOM and a few hundred bytes hold it.
_DECLARATION_HEAD = 512
_CODECS = {"UTF-16LE": "utf-16-le", "UTF-16BE": "utf-16-be", "UTF-32LE": "utf-32-le", "UTF-32BE": "utf-32-be"}


class Prolog(NamedTuple):
    #: encoding named by a byte order mark, or None
    bom: str | None
    #: encoding named by the XML declaration, or None
    declared: str | None
    #: UTF-16/32 guessed from NUL bytes when there is no BOM ("UTF-16LE", ...), or None
    guessed: str | None

    @property
    def ascii_compatible(self) -> bool:
        if self.bom or self.guessed:
            return self.bom == "UTF-8"
        # a wide encoding declared in ASCII bytes: whatever libxml2 makes of it, do not trust a byte scan
        return self.declared is None or _declared(self.declared)[1]

    @property
    def checkable(self) -> bool:
        """False for a declared encoding in which markup need not be ASCII bytes (see _CHECKABLE)."""
        return bool(self.bom or self.guessed or self.declared is None or _declared(self.declared)[0])


@lru_cache(maxsize=64)
def _declared(name: str) -> tuple[bool, bool]:
    """(checkable, ascii_compatible) of a declared encoding name. Each message's prolog is asked three times,
    and a batch declares one or two names: the patterns are matched once per name, not ~1 µs a message."""
    checkable = _CHECKABLE.match(name) is not None
    return checkable, checkable and not _WIDE.match(name)


def _guess_wide(head: bytes) -> str | None:
    """UTF-16/32 without a BOM shows as NUL bytes in fixed lanes (``<`` is ``3C 00`` in UTF-16LE)."""
    sample = head[:64]
    size = len(sample) // 4 * 4
    if size == 0 or sample.count(0) < size // 3:
        return None
    sample = sample[:size]

    def all_nul(lane: bytes) -> bool:
        return lane.count(0) == len(lane)

    if all_nul(sample[1::4]) and all_nul(sample[2::4]) and all_nul(sample[3::4]):
        return "UTF-32LE"
    if all_nul(sample[0::4]) and all_nul(sample[1::4]) and all_nul(sample[2::4]):
        return "UTF-32BE"
    if all_nul(sample[1::2]):
        return "UTF-16LE"
    if all_nul(sample[0::2]):
        return "UTF-16BE"
    return None


#: The declaration nearly every message starts with, and what :func:`_sniff` reads from it: no byte order mark
#: (a message starting "<" has none), no NUL lanes (every lane of the declaration holds a non-NUL byte), the
#: declared name UTF-8. Spelt with either quote.
_COMMON_DECLARATIONS = (b'<?xml version="1.0" encoding="UTF-8"?>', b"<?xml version='1.0' encoding='UTF-8'?>")
_COMMON_PROLOG = Prolog(None, "UTF-8", None)
#: the bytes of either common declaration
COMMON_DECLARATION_LENGTH = len(_COMMON_DECLARATIONS[0])


def common(prolog: Prolog) -> bool:
    """The prolog is sniff's answer for a message that starts with the common UTF-8 declaration: checkable,
    markup in ASCII bytes, nothing encoding_problems could report, and COMMON_DECLARATION_LENGTH bytes of
    declaration before anything else. An equal Prolog made otherwise is not (its bytes were not seen)."""
    return prolog is _COMMON_PROLOG


def sniff(data: bytes) -> Prolog:
    """What the bytes say of their encoding (byte order mark, declared name, UTF-16/32 guessed). A message
    starting with the common UTF-8 declaration is answered without decoding and matching its head:
    ~1.4 µs a message alone, ~3 µs in a batch (where the parse before it has left the caches cold)."""
    if data.startswith(_COMMON_DECLARATIONS):
        return _COMMON_PROLOG
    return _sniff(data)


def _sniff(data: bytes) -> Prolog:
    head = data[:_DECLARATION_HEAD]
    # every byte order mark starts with one of these bytes; a message starts with "<" (a generator over
    # the marks cost ~0.5 µs a message)
    bom = next((name for mark, name in BOMS if head.startswith(mark)), None) if head[:1] in _BOM_LEADS else None
    guessed = None if bom else _guess_wide(head)
    if not (bom or guessed) and head.startswith(_EBCDIC_START):
        text = head.decode("cp037")
    else:
        text = _text(head, bom or guessed).lstrip("\ufeff\u00ef\u00bb\u00bf")  # the BOM itself, as text
    found = _DECLARATION.match(text)
    return Prolog(bom, found.group(1).strip() if found else None, guessed)


def _text(head: bytes, unit: str | None, declared: str | None = None) -> str:
    """The head as text: decoded per BOM or guess, else per a declared encoding a byte scan cannot read
    (UTF-7, EBCDIC) where Python knows it, else Latin-1 (every byte maps, markup is ASCII)."""
    codec = _CODECS.get(unit or "")
    if codec:
        return head.decode(codec, errors="replace")
    if declared and not _CHECKABLE.match(declared):
        try:
            return head.decode(declared, errors="replace")
        except (LookupError, ValueError):
            return head.decode("cp037" if head.startswith(_EBCDIC_START) else "latin-1")
    return head.decode("latin-1")


#: The encoding named by a leading XML declaration of a document held as text (group 2 is the name).
_TEXT_DECLARATION = re.compile(r"^\ufeff?<\?xml\s[^>]*?encoding\s*=\s*([\"'])([^\"']{0,40})\1")


def text_as_bytes(text: str) -> bytes:
    """A document that arrives as characters, not bytes, as the UTF-8 bytes libxml2 is given.

    SKV's v10 answer is a string inside the SOAP message; a HAR capture's body is text its recorder decoded.
    Their XML declaration names the encoding of bytes that no longer exist: a .NET ``StringWriter`` always
    writes ``encoding="utf-16"``. A receiver parses such a string as characters and ignores the name (XML
    1.0, 4.3.3 and appendix F: information outside the document wins), so the name is replaced by UTF-8 for
    the bytes made here, which would otherwise be read as UTF-16 or Latin-1 and refused or garbled.
    JSON may carry a lone surrogate; it is kept (as invalid bytes) for the parser to report.
    """
    found = _TEXT_DECLARATION.match(text)
    if found and found.group(2).strip().upper() not in ("UTF-8", "UTF8"):
        text = text[: found.start(2)] + "UTF-8" + text[found.end(2) :]
    return text.encode("utf-8", "surrogatepass")


def has_doctype_in_prolog(data: bytes, prolog: Prolog) -> bool:
    """For a message libxml2 refused: did it declare a DOCTYPE before its root element?

    A DOCTYPE is the more useful finding then (billion laughs and friends are refused by libxml2's
    amplification guard before any document exists), so we look for one in the head of the bytes.
    """
    text = _text(data[: _HEAD * 4], prolog.bom or prolog.guessed, prolog.declared)
    found = _DOCTYPE.search(text)
    if not found:
        return False
    before = re.sub(r"<!--.*?-->|<\?.*?\?>", "", text[: found.start()], flags=re.DOTALL)
    return "<" not in before


def encoding_problems(data: bytes, prolog: Prolog, subject: str = "The message") -> list[tuple[bool, str]]:
    """Lies libxml2 accepts, as (fatal?, one sentence saying what was found and what was expected).

    Fatal: XML 1.0 calls it a fatal error, or a receiving stack refuses it (an XML 1.1 declaration), so
    another parser may refuse the message. Not fatal: the message parses everywhere we know of, but its
    text may not be what the sender meant. ``subject`` names the document in the sentences (a nested one
    is not "the message").
    """
    if prolog is _COMMON_PROLOG and data.startswith(_COMMON_DECLARATIONS):
        return []  # UTF-8, version 1.0, no mark, no guess: nothing below can be wrong (~1 µs a message in a batch)
    problems: list[tuple[bool, str]] = []
    declared = prolog.declared.upper() if prolog.declared else None
    if not prolog.checkable:
        problems.append((True, unchecked_encoding_text(prolog, subject)))
    if prolog.bom and declared and declared not in _FAMILIES[prolog.bom]:
        problems.append(
            (
                True,
                f'{subject} starts with a {prolog.bom} byte order mark but declares encoding="{prolog.declared}"; '
                "XML 1.0 (4.3.3) makes a contradicting declaration a fatal error. Declare the encoding the bytes use.",
            )
        )
    if prolog.guessed and prolog.guessed.startswith("UTF-16"):
        problems.append(
            (
                False,
                f"{subject} is {prolog.guessed} without a byte order mark; XML 1.0 (4.3.3) requires UTF-16 "
                "to start with one. Start it with a BOM, or send UTF-8.",
            )
        )
    version = None if data.startswith(_XML_10_STARTS) else _declared_version(data, prolog)  # see _XML_10_STARTS
    if version is not None and version != "1.0":
        problems.append(
            (
                True,
                f'{subject} declares XML version="{version}"; SOAP 1.1 messages and the SSBTEK contract are XML '
                "1.0, and a reader that knows only XML 1.0 refuses it (.NET's System.Xml: \"Version number "
                f'\'{version}\' is invalid"), while libxml2 reads it as 1.0. Declare version="1.0".',
            )
        )
    if declared and not prolog.bom and _SINGLE_BYTE.match(declared) and _looks_like_utf8(data):
        problems.append(
            (
                False,
                f'{subject} declares encoding="{prolog.declared}" but its non-ASCII bytes are UTF-8 (e.g. å arrives '
                "as two characters); declare UTF-8 or convert the content.",
            )
        )
    return problems


#: How ordinary messages start: an XML 1.0 declaration. encoding_problems checks it before it calls
#: _declared_version, so that reading the version costs such a message one C-level startswith (~0.1 µs)
_XML_10_STARTS = (b'<?xml version="1.0"', b"<?xml version='1.0'")
#: the version of a leading XML declaration (XML 1.0, production VersionNum; libxml2 refuses any other shape)
_VERSION = re.compile(r"^<\?xml\s+version\s*=\s*([\"'])(1\.[0-9]{1,8})\1")


def _declared_version(data: bytes, prolog: Prolog) -> str | None:
    """The version an XML declaration names, read only where it is not the ordinary ``version="1.0"``.

    libxml2 parses ``version="1.1"`` as 1.0 without a word (XML 1.0 fifth edition lets a 1.0 processor do so),
    and docinfo would tell us after the parse; this reads the bytes the sniffing already looked at, and
    returns at once (one ``startswith``) for the XML 1.0 declaration and for a message without one."""
    if data.startswith(_XML_10_STARTS):
        return None
    if not (prolog.bom or prolog.guessed) and not data.startswith(b"<?xml"):
        return None  # no declaration at all (a declaration must come first, BOM aside)
    text = _text(data[:_DECLARATION_HEAD], prolog.bom or prolog.guessed).lstrip("\ufeff\u00ef\u00bb\u00bf")
    found = _VERSION.match(text)
    return found.group(2) if found else None


def unchecked_encoding_text(prolog: Prolog, subject: str = "The message") -> str:
    return (
        f'{subject} declares encoding="{prolog.declared}", in which markup need not be ASCII bytes, so it '
        "cannot be checked safely (a DOCTYPE can hide in it); not checked further. SOAP messages are UTF-8 or "
        "UTF-16 (WS-I Basic Profile 1.1, R1012): send UTF-8."
    )


def _looks_like_utf8(data: bytes) -> bool:
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def explain_wide_without_bom(prolog: Prolog) -> str | None:
    """libxml2's words for an undeclared UTF-16 message ("Char 0x0 out of allowed range") say nothing useful."""
    if prolog.guessed and prolog.declared is None:
        return (
            f"the bytes look like {prolog.guessed} (a NUL byte beside every ASCII character) with neither a byte "
            "order mark nor an "
            "encoding declaration, so they were read as UTF-8; start the message with a BOM, or send UTF-8"
        )
    return None
