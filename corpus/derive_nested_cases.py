"""How the nested-payload, request-rule and pair cases of this corpus were made (run once; kept as the record).

Each case is an existing corpus message with one defect put in by a plain text edit, so that the
file differs from a valid one in exactly the way its name says. Run from the repository root:
``python corpus/derive_nested_cases.py`` rewrites the files (the manifest is maintained by hand).
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

CORPUS = Path(__file__).resolve().parent
V10, V11 = CORPUS / "v10", CORPUS / "v11"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, (old, text.count(old))
    return text.replace(old, new)


def element_text(text: str, name: str) -> str:
    return re.search(rf"<ssbt:{name}>([^<]*)</ssbt:{name}>", text).group(1)


def replace_element_text(text: str, name: str, value: str) -> str:
    old = element_text(text, name)
    return once(text, f"<ssbt:{name}>{old}</ssbt:{name}>", f"<ssbt:{name}>{value}</ssbt:{name}>")


REQUEST = read(V10 / "request-full.xml")
ANSWER = read(V10 / "answer-all-agencies-data.xml")
CSN_DOC = base64.b64decode(element_text(ANSWER, "svar")).decode("utf-8")
LEFI_SVAR = json.loads(base64.b64decode(element_text(ANSWER, "lefiJsonSvar")))
LEFI_FRAGA = json.loads(base64.b64decode(element_text(REQUEST, "lefiJsonFraga")))
CSN_V3 = "http://schema.csn.se/v3.0/kommunfraga"


def with_csn(document: str) -> str:
    return replace_element_text(ANSWER, "svar", b64(document.encode("utf-8")))


def with_lefi_svar(data: bytes) -> str:
    return replace_element_text(ANSWER, "lefiJsonSvar", b64(data))


def with_lefi_fraga(data: bytes) -> str:
    return replace_element_text(REQUEST, "lefiJsonFraga", b64(data))


def csn_v4(document: str) -> str:
    """The same answer in CSN v4.0's documented namespace layout."""
    base = "http://schema.csn.se/v4.0"
    kinds = {
        "Studiemedel": "studiemedel",
        "Studiehjalp": "studiehjalp",
        "HemutrustningsLan": "hemutrustningslan",
        "Studiestartsstod": "studiestartsstod",
        "Omstallningsstudiestod": "omstallningsstudiestod",
    }
    from lxml import etree

    root = etree.fromstring(document.encode("utf-8"))

    def rename(element, namespace):
        element.tag = f"{{{namespace}}}{etree.QName(element).localname}"

    for element in root.iter():
        rename(element, f"{base}/kommunfraga")
    for person in root.iter(f"{{{base}/kommunfraga}}Person"):
        for child in person:
            rename(child, f"{base}/person")
            local = etree.QName(child).localname
            if local == "Studiestodstypforteckning":
                for flag in child:
                    rename(flag, f"{base}/csntyper")
                continue
            for arenden in child:
                rename(arenden, f"{base}/person")
                for arende in arenden:
                    rename(arende, f"{base}/person")
                    for part in arende.iter():
                        if part is arende:
                            continue
                        depth_one = part.getparent() is arende
                        in_list = part.getparent().getparent() is arende
                        namespace = kinds[local] if depth_one or in_list else "csntyper"
                        rename(part, f"{base}/{namespace}")
    prefixes = {"p": "person", "typ": "csntyper", "sm": "studiemedel", "sh": "studiehjalp"}
    prefixes.update(hut="hemutrustningslan", sss="studiestartsstod", oss="omstallningsstudiestod")
    top = {None: f"{base}/kommunfraga", **{prefix: f"{base}/{name}" for prefix, name in prefixes.items()}}
    declared = etree.Element(root.tag, attrib=dict(root.attrib), nsmap=top)  # every prefix on the root
    declared.text = root.text
    declared.extend(list(root))
    root = etree.fromstring(etree.tostring(declared))
    etree.cleanup_namespaces(root)
    root.set("schemaVersion", "4.0")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="unicode") + "\n"


def cases() -> dict[str, str]:
    out: dict[str, str] = {}
    # ---- request rules
    out["v10/invalid-personidentitet-check-digit.xml"] = replace_element_text(
        REQUEST, "personidentitet", "191212121213"
    )
    out["v10/invalid-personidentitet-no-such-date.xml"] = replace_element_text(
        REQUEST, "personidentitet", "191212321218"
    )
    out["v10/invalid-samordningsnummer-no-such-date.xml"] = replace_element_text(
        REQUEST, "personidentitet", "199001922393"
    )
    out["v10/request-orgnr-check-digit.xml"] = once(
        REQUEST, "<ssbt:organisationsnummer>162120000142<", "<ssbt:organisationsnummer>162120000143<"
    )
    out["v10/invalid-tidsperiod-reversed.xml"] = once(
        REQUEST,
        "<ssbt:fromDatum>2026-09-01</ssbt:fromDatum>\n          <ssbt:tomDatum>2026-10-31</ssbt:tomDatum>",
        "<ssbt:fromDatum>2026-10-31</ssbt:fromDatum>\n          <ssbt:tomDatum>2026-09-01</ssbt:tomDatum>",
    )
    long_id = "EB-2026-004711-KOMPLETTERING-0001"  # 33 characters
    out["v10/invalid-arendeidentitet-too-long-for-csn.xml"] = replace_element_text(REQUEST, "arendeidentitet", long_id)
    out["v10/request-arendeidentitet-long-without-csn.xml"] = once(
        replace_element_text(REQUEST, "arendeidentitet", long_id),
        '<ssbt:CSN inkludera="true"/>',
        '<ssbt:CSN inkludera="false"/>',
    )
    fk_block = REQUEST[REQUEST.index('<ssbt:FK inkludera="true">') : REQUEST.index("</ssbt:FK>") + len("</ssbt:FK>")]
    out["v10/invalid-fk-fraga-missing.xml"] = once(REQUEST, fk_block, '<ssbt:FK inkludera="true"/>')
    out["v10/invalid-lefi-version-unknown.xml"] = once(
        REQUEST, "<ssbt:version>v9</ssbt:version>", "<ssbt:version>v7</ssbt:version>"
    )
    v11 = read(V11 / "request-skv-fraga.xml")
    skv_fraga = v11[v11.index('<ssbt:SKV inkludera="true">') : v11.index("</ssbt:SKV>") + len("</ssbt:SKV>")]
    out["v11/invalid-skv-fraga-missing.xml"] = once(v11, skv_fraga, '<ssbt:SKV inkludera="true"/>')
    out["v11/invalid-skv-fraga-future-year.xml"] = once(v11, "<ssbt:ar>2024</ssbt:ar>", "<ssbt:ar>2031</ssbt:ar>")
    out["v11/request-skv-fraga-asks-nothing.xml"] = re.sub(
        r"(<ssbt:(?:foretagsinformation|individuppgifter|skattekonto|skatteuppgifter|beskattningsbilagor)>)true",
        r"\1false",
        v11,
    )
    # ---- nested payloads: decoding
    out["v10/invalid-fk-base64.xml"] = replace_element_text(
        ANSWER, "lefiJsonSvar", "eyJ1dGxhbW5hcmUiOltdfQ==%%"
    )  # libxml2 accepts this as xs:base64Binary; it is not base64
    out["v10/invalid-fk-not-utf8.xml"] = with_lefi_svar(
        '{"utlamnare":[{"utlamnare":{"namn":"Försäkringskassan"}}]}'.encode("latin-1")
    )
    out["v10/invalid-fk-not-json.xml"] = with_lefi_svar(b'{"utlamnare": [}')
    out["v10/invalid-csn-not-xml.xml"] = with_csn(CSN_DOC.replace("</CSNSvar>", "</CSNSvr>"))
    skv = ANSWER[ANSWER.index("<![CDATA[") : ANSWER.index("]]>") + 3]
    out["v10/invalid-skv-not-xml.xml"] = once(ANSWER, skv, skv.replace("</Beskattningsuppgifter>", ""))
    # ---- nested payloads: models
    out["v10/invalid-csn-model.xml"] = with_csn(
        once(CSN_DOC, "<soktomfattning>100</soktomfattning>", "<soktomfattning>33</soktomfattning>")
    )
    out["v10/invalid-csn-root.xml"] = with_csn(CSN_DOC.replace("CSNSvar", "CSNFraga"))
    out["v10/answer-csn-unknown-version.xml"] = with_csn(
        CSN_DOC.replace(CSN_V3, "http://schema.csn.se/v5.0/kommunfraga").replace(
            'schemaVersion="3.0"', 'schemaVersion="5.0"'
        )
    )
    out["v10/answer-csn-v4.xml"] = with_csn(csn_v4(CSN_DOC))
    out["v10/answer-csn-schemaversion-mismatch.xml"] = with_csn(
        CSN_DOC.replace('schemaVersion="3.0"', 'schemaVersion="4.0"')
    )
    svar = json.loads(json.dumps(LEFI_SVAR))
    svar["formansinformation"]["bostadsbidragsarende"][0]["aktivt"] = "ja"
    svar["formansinformation"]["programjobdagar"][0]["antalForbrukade"] = -3
    out["v10/invalid-lefi-svar-types.xml"] = with_lefi_svar(json.dumps(svar, ensure_ascii=False).encode("utf-8"))
    svar = json.loads(json.dumps(LEFI_SVAR))
    svar["formansinformation"]["bostadsbidragArende"] = []
    out["v10/answer-lefi-unknown-field.xml"] = with_lefi_svar(json.dumps(svar, ensure_ascii=False).encode("utf-8"))
    fraga = {"personnummer": LEFI_FRAGA["personnummer"], "period": LEFI_FRAGA["period"]}
    out["v10/invalid-lefi-fraga-asks-nothing.xml"] = with_lefi_fraga(json.dumps(fraga).encode("utf-8"))
    fraga = dict(LEFI_FRAGA, period={"from": "2026-09-01", "tom": "2026-09-31"})
    out["v10/invalid-lefi-fraga-no-such-date.xml"] = with_lefi_fraga(json.dumps(fraga).encode("utf-8"))
    out["v10/answer-skv-unknown-root.xml"] = ANSWER.replace("Beskattningsuppgifter>", "Skattebesked>")
    v11_answer = read(V11 / "answer-skv-parts.xml")
    first = re.search(r"(<ssbt:skattekonto>\s*<ssbt:data>)([^<]*)(</ssbt:data>)", v11_answer)
    out["v11/answer-skv-part-not-object.xml"] = once(
        v11_answer, first.group(0), first.group(1) + b64(b"[412, -412]") + first.group(3)
    )
    ping = read(V10 / "ping-answer.xml")
    out["v10/ping-answer-tns-called.xml"] = once(
        ping,
        "<ssbt:TNS>\n        <ssbt:anropad>false</ssbt:anropad>",
        "<ssbt:TNS>\n        <ssbt:anropad>true</ssbt:anropad>",
    )
    # ---- pairs (answers that do not fit request-full.xml / request-echo-fraga.xml)
    out["pairs/answer-wrong-korrelationsid.xml"] = replace_element_text(
        ANSWER, "korrelationsid", "00000000-0000-4000-8000-000000000000"
    )
    out["pairs/answer-other-frageTidpunkt.xml"] = replace_element_text(
        ANSWER, "frageTidpunkt", "2026-10-15T09:12:33.418+02:00"
    )
    out["pairs/answer-same-instant-utc.xml"] = replace_element_text(ANSWER, "frageTidpunkt", "2026-10-14T07:12:33.418Z")
    echo = read(V10 / "answer-echo-fraga.xml")
    out["pairs/answer-echo-fraga-altered.xml"] = once(
        echo,
        "<ssbt:arendeidentitet>EB-2026-004711</ssbt:arendeidentitet>",
        "<ssbt:arendeidentitet>EB-2026-004712</ssbt:arendeidentitet>",
    )
    out["pairs/answer-no-echo.xml"] = re.sub(
        r"\s*<ssbt:fraga>.*?</ssbt:fraga>\n(?=\s*<ssbt:frageTidpunkt>)", "\n", echo, count=1, flags=re.S
    )
    return out


def har_entry(request: str | None, answer: str | None, *, base64_answer: bool = False) -> dict:
    entry: dict = {
        "startedDateTime": "2026-10-14T09:12:33.418+02:00",
        "time": 412,
        "request": {
            "method": "POST",
            "url": "https://ssbtek.test.invalid/ssbt/v10",
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": "SOAPAction", "value": '""'}],
            "queryString": [],
            "cookies": [],
            "headersSize": -1,
            "bodySize": -1,
        },
        "response": {
            "status": 200,
            "statusText": "OK",
            "httpVersion": "HTTP/1.1",
            "headers": [],
            "cookies": [],
            "content": {"size": 0, "mimeType": "text/xml; charset=utf-8"},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
        },
        "cache": {},
        "timings": {"send": 1, "wait": 400, "receive": 11},
    }
    if request is not None:
        entry["request"]["postData"] = {"mimeType": "text/xml; charset=utf-8", "text": request}
    if answer is not None:
        body = answer.encode("utf-8")
        entry["response"]["content"]["size"] = len(body)
        if base64_answer:
            entry["response"]["content"].update(text=b64(body), encoding="base64")
        else:
            entry["response"]["content"]["text"] = answer
    return entry


def har(*entries: dict) -> str:
    log = {"version": "1.2", "creator": {"name": "ssbtek-validator corpus", "version": "1"}, "entries": list(entries)}
    return json.dumps({"log": log}, ensure_ascii=False, indent=1) + "\n"


def hars(made: dict[str, str]) -> dict[str, str]:
    page = har_entry(None, None)
    page["request"].update(method="GET", url="https://ssbtek.test.invalid/")
    page["response"]["content"] = {"size": 15, "mimeType": "text/html", "text": "<!DOCTYPE html>"}
    return {
        "har/session.har": har(
            har_entry(REQUEST, ANSWER),
            page,
            har_entry(REQUEST, made["pairs/answer-wrong-korrelationsid.xml"]),
            har_entry(read(V10 / "ping-request.xml"), read(V10 / "ping-answer.xml"), base64_answer=True),
        ),
    }


def main() -> None:
    made = cases()
    for name, text in {**made, **hars(made)}.items():
        write(CORPUS / name, text)
        print(name)


if __name__ == "__main__":
    main()
