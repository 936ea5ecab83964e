"""An MTOM/XOP body (``multipart/related``) as the one XML document it stands for.

A SOAP stack with MTOM on sends a base64Binary value (``lefiJsonFraga``, CSN's ``svar``) as a MIME part and
leaves ``<xop:Include href="cid:…"/>`` in its place (XOP 1.0, W3C Recommendation of 25 January 2005): the
package is another serialisation of the same XML document, so the document is rebuilt from it, each Include
replaced by its part in base64, and judged like any other. The root part is the one the ``start`` parameter
names, else the first (RFC 2387, section 3.2).
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import re
from email.message import EmailMessage
from urllib.parse import unquote

from lxml import etree

from ssbtek_validator.reading.message import safe_parser

XOP = "http://www.w3.org/2004/08/xop/include"


class MultipartProblem(ValueError):
    """The package cannot be turned into its document; the text says why, for an SSBT-READ finding."""


def xop_document(mime: str, data: bytes) -> bytes:
    """The XML document of an MTOM/XOP package whose Content-Type is ``mime``; MultipartProblem if there is none."""
    header = "Content-Type: " + " ".join(mime.split()) + "\r\nMIME-Version: 1.0\r\n\r\n"
    package = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header.encode("latin-1", "replace") + data)
    parts = [part for part in package.iter_parts()] if package.is_multipart() else []
    if not parts:
        raise MultipartProblem("the multipart/related body holds no MIME part (is its boundary parameter right?)")
    start = (package.get_param("start") or "").strip()
    root = next((part for part in parts if _content_id(part) == _bare(start)), None) if start else parts[0]
    if root is None:
        raise MultipartProblem(f"the multipart/related body has no root part {start} (its start parameter)")
    document = root.get_payload(decode=True) or b""
    if b"Include" not in document:  # MTOM-framed but nothing moved out: the root part is the document
        return document
    return _inlined(document, {_content_id(part): part for part in parts if part is not root})


def _content_id(part: EmailMessage) -> str:
    return _bare(str(part.get("Content-ID", "")))


def _bare(content_id: str) -> str:
    """``<a@b>``, ``cid:a@b`` and ``a@b`` name the same part (RFC 2392: a cid URL is the id without brackets)."""
    content_id = content_id.strip()
    content_id = content_id[4:] if content_id.lower().startswith("cid:") else content_id
    return content_id.strip("<>")


#: An xop:Include as written: always an empty element with an href (XOP 1.0, section 3.1)
_INCLUDE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Include\s[^>]*?href\s*=\s*([\"'])([^\"']*)\1[^>]*?/>")


def _inlined(document: bytes, attachments: dict[str, EmailMessage]) -> bytes:
    """Each xop:Include replaced, in the bytes, by its attachment in base64: every other line stays where it was."""
    try:
        root = etree.fromstring(document, safe_parser())
    except etree.XMLSyntaxError:
        return document  # the reader reports what is wrong with it
    includes = [] if root is None else [element.get("href", "") for element in root.iter(f"{{{XOP}}}Include")]
    written = _INCLUDE.findall(document)
    if [href.decode("utf-8", "replace") for _, href in written] != includes:
        raise MultipartProblem("its xop:Include elements are not written as XOP 1.0 writes them (empty, with an href)")

    def attachment(match: re.Match[bytes]) -> bytes:
        href = match.group(2).decode("utf-8", "replace")
        part = attachments.get(_bare(unquote(href)))
        if part is None:
            raise MultipartProblem(f"an xop:Include refers to the attachment {href!r}, which the body does not hold")
        return base64.b64encode(part.get_payload(decode=True) or b"")

    return _INCLUDE.sub(attachment, document)
