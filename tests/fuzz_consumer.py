"""A small SSBTEK consumer with a planted bug, for ``fuzz --target`` to find and shrink.

Reads one SOAP message on stdin and prints a one-line summary per agency in an answer. Exit 0:
read; exit 1: not an SSBTEK message it understands. The bug (the kind real vendor code has): it
assumes an agency error carries exactly one ``felmeddelande``, although the schema allows several,
so a valid answer with two crashes it with a ValueError.
"""

from __future__ import annotations

import sys

from lxml import etree

SOAP = "{http://schemas.xmlsoap.org/soap/envelope/}"


def summarise(data: bytes) -> list[str]:
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    body = root.find(f"{SOAP}Body")
    if body is None or len(body) == 0:
        raise LookupError("no soap:Body")
    operation = body[0]
    lines = [etree.QName(operation).localname]
    svarsdata = next((child for child in operation if etree.QName(child).localname == "svarsdata"), None)
    for agency in svarsdata if svarsdata is not None else []:
        for part in agency.iter("{*}error"):
            kod = part.findtext("{*}felkod")
            (text,) = part.findall("{*}felmeddelande")  # the planted bug: one message assumed
            lines.append(f"{etree.QName(agency).localname}: error {kod}: {text.text}")
        if agency.find("{*}data") is not None:
            lines.append(f"{etree.QName(agency).localname}: data")
    return lines


def main() -> int:
    try:
        lines = summarise(sys.stdin.buffer.read())
    except (etree.XMLSyntaxError, LookupError) as exc:
        print(f"rejected: {exc}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
