"""Inside the payloads: CSN's XML, SKV's XML or JSON parts, FK's LEFI JSON, each against its model.

Decoding is done once (``context.payloads()``, SSBT-PAYLOAD-*); these rules look at what decoded.
Every location chains ``outer XPath → inner XPath or JSON pointer`` (``Payload.locate``) and every
finding carries the line of the carrying element, so an editor jumps to the base64 blob and the
path says where inside it to look.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from lxml import etree

from ssbtek_validator.packs.nested_models import JsonError, NestedModels, models_for
from ssbtek_validator.reading.message import child, element_path, text_of
from ssbtek_validator.reading.nested import Payload
from ssbtek_validator.results.masking import LIBXML2_QUOTED_VALUE, masked_value, scrub_text
from ssbtek_validator.results.model import Finding, Severity
from ssbtek_validator.rules.base import Context, Versions
from ssbtek_validator.rules.elements import payload_child
from ssbtek_validator.rules.schema_words import ELEMENT, namespace_mismatch

#: ``{namespace-uri}`` of a Clark name; a URI has a scheme, which keeps ``{'A', 'B'}`` and ``\d{2}`` intact
_CLARK = re.compile(r"\{[A-Za-z][\w+.\-]*:[^{}'\s]*\}")
_VALUE = LIBXML2_QUOTED_VALUE


#: how a location names the whole nested JSON document (its JSON pointer is the empty string)
WHOLE = "(whole document)"


def _models(context: Context) -> NestedModels:
    return models_for(getattr(context.pack, "openapi", ()))


def _finding(rule, context: Context, payload: Payload, inner: str, message: str, **extra) -> Finding:
    return Finding(
        rule=extra.pop("rule_id", rule.id),
        severity=extra.pop("severity", rule.severity),
        message=message,
        file=context.message.name,
        line=payload.element.sourceline,
        path=payload.locate(inner),
        **extra,
    )


# ---------------------------------------------------------------- CSN


class CsnPayloadRule:
    id = "SSBT-CSN-MODEL"
    severity = Severity.ERROR
    summary = "CSN's answer document (base64 in CSN/data/svar) conforms to our model of its Kommunfråga version."
    versions = Versions.of(range(6, 12))
    applies_by_kind = True  # applies reads only the pack, operation and direction
    explanation = (
        "CSN/data/svar is base64 of a CSN Kommunfråga answer (CSNSvar). Its root namespace names the "
        "version: http://schema.csn.se/v3.0/kommunfraga (what SSBTEK v10/v11 test traffic published by a "
        "municipality (2024–2025) shows: CSN v4.0's namespace layout with v3.0 URIs, an empty "
        "GemensamtFragaEkbistand, empty blocks, fixed-width space-padded Person attributes; our model is "
        "reconstructed from that and CSN's Kommunfråga v4.0 description) or "
        "http://schema.csn.se/v4.0/kommunfraga (as documented). The decoded document is validated against "
        "that model (xsd/nested/csn/); each violation is an error located as `outer XPath → inner XPath`, "
        "with the decoded line in the message. A root that is not CSNSvar is an error. A namespace no model "
        "covers, or a schemaVersion attribute that disagrees with the namespace, is SSBT-CSN-VERSION (warning: the "
        "document may be a newer CSN version; it is not checked further)."
    )
    example = (
        "CSN payload, line 31 of the decoded document: soktomfattning: The value '33' is not an element "
        "of the set {'0', '20', '40', '50', '60', '75', '100'}."
    )

    def applies(self, context: Context) -> bool:
        return context.message.direction == "answer" and bool(context.pack.payloads)

    def check(self, context: Context) -> Iterator[Finding]:
        models = _models(context)
        for payload in context.decoded("CSN", "xml"):
            yield from self._check_one(context, models, payload)

    def _check_one(self, context: Context, models: NestedModels, payload: Payload) -> Iterator[Finding]:
        root = payload.document
        qname = etree.QName(root)
        if qname.localname != "CSNSvar":
            yield _finding(
                self,
                context,
                payload,
                element_path(root),
                f"CSN payload's root element is {qname.localname} ({qname.namespace or 'no namespace'}); "
                "expected CSNSvar, CSN's Kommunfråga answer.",
            )
            return
        model = models.csn.get(qname.namespace or "")
        if model is None:
            known = ", ".join(f"{m.namespace} ({m.status})" for m in models.csn.values())
            yield _finding(
                self,
                context,
                payload,
                element_path(root),
                f"CSN payload is in namespace {qname.namespace or '(none)'}, which no CSN Kommunfråga model "
                f"here covers (known: {known}); its content is not checked.",
                rule_id="SSBT-CSN-VERSION",
                severity=Severity.WARNING,
            )
            return
        declared = (root.get("schemaVersion") or "").strip()
        if declared and not _same_version(declared, model.schema_version):
            yield _finding(
                self,
                context,
                payload,
                element_path(root) + "/@schemaVersion",
                f"CSN payload declares schemaVersion {declared} in the namespace of version "
                f"{model.schema_version}; expected them to agree (the namespace decides the model used).",
                rule_id="SSBT-CSN-VERSION",
                severity=Severity.WARNING,
                value=declared,
            )
        schema = model.schema()
        if schema.validate(root):
            return
        for entry in schema.error_log:
            yield self._xsd_finding(context, payload, root, entry)

    def _xsd_finding(self, context: Context, payload: Payload, root, entry) -> Finding:
        matched = ELEMENT.match(entry.message)
        element = _element_at_line(root, entry.line, matched.group(1) if matched else None)
        attribute = matched.group(2) if matched else None
        text = entry.message[matched.end() :] if matched else entry.message
        field = attribute or (etree.QName(element).localname if element is not None else None)
        where = f"{field}: " if field else ""
        inner = element_path(element) if element is not None else "/"
        if attribute:
            inner += f"/@{attribute}"
        raw = _VALUE.search(text)
        value = (raw.group(1) if raw.group(1) is not None else raw.group(2)) if raw else None
        said = _CLARK.sub("", text).rstrip(".") + "." + namespace_mismatch(entry.message)
        message = f"CSN payload, line {entry.line} of the decoded document: {where}{said}"
        return _finding(
            self,
            context,
            payload,
            inner,
            scrub_text(message, field, context.show_values),
            value=masked_value(value, field, context.show_values),
        )


def _same_version(declared: str, expected: str) -> bool:
    """Does a schemaVersion attribute name the model's version ("3.0" is "3", "03.00")? Compared as written
    first: a document from CSN spells it as our model does, and two float conversions (~0.25 µs) are for the
    rest. The same verdict as comparing as numbers alone (a Hypothesis property holds it)."""
    return declared == expected or _decimal(declared) == _decimal(expected)


def _decimal(text: str) -> str:
    try:
        return str(float(text))
    except ValueError:
        return text


def _element_at_line(root, line: int | None, named: str | None):
    """The element a libxml2 error is about: decoded documents keep their own line numbers."""
    local = _CLARK.sub("", named).rsplit(":", 1)[-1] if named else None
    fallback = None
    for element in root.iter():
        if not isinstance(element.tag, str) or element.sourceline != line:
            continue
        if local is None or etree.QName(element).localname == local:
            return element
        fallback = fallback if fallback is not None else element
    return fallback


# ---------------------------------------------------------------- SKV


class SkvPayloadRule:
    id = "SSBT-SKV-PAYLOAD"
    severity = Severity.WARNING
    summary = "SKV's nested documents are what SKV sends: v10 XML with a known root, v11 parts that are JSON objects."
    versions = Versions.of(range(6, 12))
    applies_by_kind = True  # applies reads only the pack, operation and direction
    explanation = (
        "v10: SKV/data/svar is a string holding SKV's own XML; well-formedness is SSBT-PAYLOAD-XML. Its "
        "root, name and namespace, should be one we know (xsd/nested/models.toml [skv]): the normal answer "
        "is SvarBeskattningsuppgifterEnligtSFS2008-975 (SFS 2008:975, the ordinance on SKV's data for "
        "ekonomiskt bistånd) in SKV's standardiseradInformation 1.0 namespace, as SSBTEK v10 test traffic "
        "published by a municipality (2024–2025) shows. No schema for it is published, so an unknown root "
        "is a warning, not an error. v11: each of the five "
        "parts' data is base64 JSON; a part that decodes to a JSON scalar or list instead of an object "
        "is a warning (the parts' content is not published either)."
    )
    example = (
        "SKV payload's root element is Skattebesked (no namespace); known roots: "
        "SvarBeskattningsuppgifterEnligtSFS2008-975 (in http://xmls.skatteverket.se/se/skatteverket/zg/instans/"
        "standardiseradInformation/1.0); Beskattningsuppgifter (no namespace) (provisional)."
    )

    def applies(self, context: Context) -> bool:
        return context.message.direction == "answer" and bool(context.pack.payloads)

    def check(self, context: Context) -> Iterator[Finding]:
        roots = _models(context).skv_roots
        for payload in context.decoded("SKV", "xml"):
            root = payload.document
            if roots and root.tag not in roots:  # the name and its namespace: SKV's answer is namespaced
                known = "; ".join(_clark_text(root) for root in roots)
                yield _finding(
                    self,
                    context,
                    payload,
                    element_path(root),
                    f"SKV payload's root element is {_clark_text(root.tag)}; known roots: {known} (provisional).",
                )
        for payload in context.decoded("SKV", "json"):
            if not isinstance(payload.document, dict):
                part = etree.QName(payload.element.getparent()).localname
                yield _finding(
                    self,
                    context,
                    payload,
                    WHOLE,
                    f"SKV part {part}: the decoded JSON is {_json_type(payload.document)}; expected an object.",
                )


# ---------------------------------------------------------------- FK / LEFI


class LefiPayloadRule:
    id = "SSBT-LEFI-MODEL"
    severity = Severity.ERROR
    summary = "FK's LEFI JSON (lefiJsonFraga, lefiJsonSvar) conforms to the LEFI version FK/fraga/version names."
    versions = Versions.of(range(6, 12))
    applies_by_kind = True  # applies reads only the pack, operation and direction
    explanation = (
        "From SSBTEK v10 FK's question and answer are base64 JSON of LEFI REST. FK/fraga/version names "
        "the LEFI version (omitted: v9, per the SSBTEK v10 contract) and so the model: ours is "
        "xsd/nested/lefi-v9.schema.json "
        "(written from the LEFI v9 OpenAPI file); with --schemas, a bundle's LEFI OpenAPI file is used "
        "instead. Violations are errors at `outer XPath → JSON pointer` (SSBT-LEFI-MODEL). A question that "
        "names nothing to fetch is rejected by LEFI as a whole (HTTP 400): error. A key the model does "
        "not know where the model is closed (the question, the answer's top level, formansinformation) is "
        "SSBT-LEFI-UNKNOWN-FIELD (warning: usually a typo or another LEFI version). A null where the model "
        "asks for a value is an error: OpenAPI 3.0 admits null only in a field marked nullable, the LEFI v9 "
        "OpenAPI marks none, and it describes data that is not given as left out of the answer. A version with no "
        "model is SSBT-FK-VERSION: an error in a request (FK answers it with an error, not data), a "
        "warning in an answer that echoes it (the JSON is then not checked)."
    )
    example = "FK payload (LEFI v9 question): period/tom is not a valid date."

    def applies(self, context: Context) -> bool:
        return context.message.direction in ("request", "answer") and bool(context.pack.payloads)

    def check(self, context: Context) -> Iterator[Finding]:
        message = context.message
        version_element = _fk_version(context)
        documents = context.decoded("FK", "json")
        if version_element is None and not documents:  # no LEFI version named, no LEFI document: nothing to say
            return
        models = _models(context)
        version = text_of(version_element).strip() if version_element is not None else None
        model = models.lefi.get(version) if version is not None else models.lefi_default()
        if model is None and version is not None:
            known = ", ".join(models.lefi) or "none"
            shown = masked_value(version, "version", context.show_values)
            in_request = message.direction == "request"
            yield Finding(
                rule="SSBT-FK-VERSION",
                severity=Severity.ERROR if in_request else Severity.WARNING,
                message=(
                    (
                        f"FK fraga/version {shown!r} names a LEFI version with no model here (known: {known}); "
                        if version
                        else f"FK fraga/version is empty: neither a LEFI version (known: {known}) nor left out, "
                        "which is how a question asks for the default; "
                    )
                    + (
                        "FK answers an unknown version with an error instead of data."
                        if in_request
                        else "the FK JSON in this answer is not checked."
                    )
                ),
                file=message.name,
                line=version_element.sourceline,
                path=element_path(version_element),
                value=masked_value(version, "version", context.show_values),
            )
        if model is None:
            return
        for payload in documents:
            validator = model.validator(payload.binding.direction)
            if validator.is_valid(payload.document):  # the common case: no error list to build and sort
                if payload.binding.direction == "request":
                    long = self._long_period(context, payload, model.version)
                    if long is not None:
                        yield long
                continue
            what = "question" if payload.binding.direction == "request" else "answer"
            for error in _errors(validator.errors_of_invalid(payload.document)):
                yield self._json_finding(context, payload, error, f"LEFI {model.version} {what}")

    def _long_period(self, context: Context, payload: Payload, version: str) -> Finding | None:
        """A question whose period is longer than two years: LEFI rejects the whole call (HTTP 400) unless the
        actor's agreement makes an exception for every group asked for, which a message cannot show: a warning.
        Read only from a question the model accepted.

        Nearly every question has a period and none longer, so this returns a finding or None (no generator made
        per question), and compares the end with two years on from the start as (year, month, day) instead of
        building that date: a start within two years of 9999-12-31 has no such date, and no end is later. ~0.9 ->
        ~0.56 µs a question (warm, best of 7), ~0.2 µs a mixed message (SSBT-LEFI-MODEL in-process, 3,000 files)."""
        period = payload.document.get("period") if isinstance(payload.document, dict) else None
        if not isinstance(period, dict):
            return None
        try:
            start, end = date.fromisoformat(period["from"]), date.fromisoformat(period["tom"])
        except (KeyError, TypeError, ValueError):  # an open end, or a model (--schemas) that checks no dates
            return None
        # two years on from the start; from a 29 February, 1 March (the later reading, so never a false alarm)
        leap_day = start.month == 2 and start.day == 29
        limit = (start.year + 2, 3, 1) if leap_day else (start.year + 2, start.month, start.day)
        if (end.year, end.month, end.day) <= limit:
            return None
        return _finding(
            self,
            context,
            payload,
            "/period",
            f"FK payload (LEFI {version} question): period runs from {start.isoformat()} to {end.isoformat()}, "
            "longer than two years; LEFI rejects such a call as a whole (HTTP 400) unless the actor's agreement "
            "makes an exception for every förmånsgrupp and type of övrig information asked for (LEFI REST v9 "
            "OpenAPI, hamtaFormansinformation).",
            rule_id="SSBT-LEFI-PERIOD",
            severity=Severity.WARNING,
        )

    def _json_finding(self, context: Context, payload: Payload, error: JsonError, what: str) -> Finding:
        pointer = _pointer(error.absolute_path)
        keys = [str(key) for key in error.absolute_path if isinstance(key, str)]
        field = keys[-1] if keys else None
        unknown = error.validator in ("additionalProperties", "unevaluatedProperties")
        instance = error.instance
        scalar = instance if isinstance(instance, str | int | float | bool) and instance is not None else None
        return _finding(
            self,
            context,
            payload,
            pointer or WHOLE,
            f"FK payload ({what}): {_describe(error, pointer)}",
            rule_id="SSBT-LEFI-UNKNOWN-FIELD" if unknown else self.id,
            severity=Severity.WARNING if unknown else self.severity,
            value=masked_value(_json_text(scalar), field, context.show_values) if scalar is not None else None,
        )


def _fk_version(context: Context):
    """FK/fraga/version of a request, or of the question an answer echoes.

    A request's specifikaFrageparametrar/FK/fraga is looked up through :func:`payload_child`, which remembers it
    for the request rules that read the same blocks (SSBT-INKLUDERA and the agency rules, SSBT-FK-FRAGA its
    fraga), and so is an answer's echoed fraga (SSBT-TIDSPERIOD and SSBT-ANSWER-ECHO look it up too): each step
    of ``child`` is an lxml iterator (~0.45 µs), and this rule runs before them. An answer echoes the question
    only when asked to (fraganSkallInkluderasISvaret); one that does not has no ``fraga``, and ``child`` stops
    at that first step. Searching the answer's bytes for the name first (:meth:`Message.may_name`) cost more
    than the step it would save (~1.4 against ~0.8 µs an answer of the mixed batch, ~8.5 kB on average)."""
    message = context.message
    if message.payload is None:
        return None
    if message.direction == "request":
        if payload_child(context, "specifikaFrageparametrar", "FK") is None:
            return None
        return _version_of(payload_child(context, "specifikaFrageparametrar", "FK", "fraga"))
    return _version_of(child(payload_child(context, "fraga"), "specifikaFrageparametrar", "FK", "fraga"))


def _version_of(fraga):
    """``child(fraga, "version")``, taken from fraga's first child node when that is it: a question names its LEFI
    version first (version, aktorsid, lefiJsonFraga), and the first child element of a name is the answer when it
    is the first node of all. Only this step is the rule's own (the blocks above are looked up for other rules as
    well), and ``child``'s iterator and tag matcher for it cost ~0.6 µs a request, the first node ~0.25 (warm);
    any other shape is asked of ``child``."""
    if fraga is not None and len(fraga) > 1:
        first = fraga[0]
        tag = first.tag  # a comment's, PI's or entity's tag is a function: no element
        if type(tag) is str and tag.rpartition("}")[2] == "version":
            return first
    return child(fraga, "version")


def _errors(errors: Iterable[JsonError]) -> list[JsonError]:
    return sorted(errors, key=lambda e: [str(part) for part in e.absolute_path])


def _pointer(path: Iterable[Any]) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def _clark_text(tag: str) -> str:
    """``{ns}local`` as a reader wants it: ``local (in ns)``, or ``local (no namespace)``."""
    qname = etree.QName(tag)
    return f"{qname.localname} ({'in ' + qname.namespace if qname.namespace else 'no namespace'})"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array"}.get(
        type(value), "an object"
    )


def _json_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


#: how a bound that a number broke reads: what it is, said against the bound
_BOUNDS = {
    "minimum": "below the minimum",
    "maximum": "above the maximum",
    "exclusiveMinimum": "not above the exclusive minimum",
    "exclusiveMaximum": "not below the exclusive maximum",
}


#: why a null is wrong where the model asks for a value: OpenAPI 3.0 admits null only where a schema says
#: ``nullable: true``, and the LEFI v9 OpenAPI file says it of no field; it describes data not given as left out
_NOT_NULLABLE = (
    " The LEFI OpenAPI (3.0) admits null only where a field is marked nullable, and LEFI v9 marks none: a value "
    "that is not given is left out of the JSON."
)


def _describe(error: JsonError, pointer: str) -> str:
    """What is wrong and what was expected, without quoting the (personal) value itself."""
    where = pointer.lstrip("/") or "the document"
    custom = error.schema.get("x-message") if isinstance(error.schema, dict) else None
    keyword, expected = error.validator, error.validator_value
    if keyword == "required":
        missing = [name for name in expected if isinstance(error.instance, dict) and name not in error.instance]
        return f"{where}: required field {', '.join(missing) or expected} is missing."
    if keyword in ("additionalProperties", "unevaluatedProperties"):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed) if isinstance(error.instance, dict) else []
        return f"{where}: field(s) {', '.join(extra)} not in the model; expected only {', '.join(sorted(allowed))}."
    if custom and keyword in ("anyOf", "oneOf", "pattern", "format"):
        return f"{where}: {custom}." if keyword in ("anyOf", "oneOf") else f"{where} is not {custom}."
    if keyword == "type":
        wanted = " or ".join(expected) if isinstance(expected, list) else expected
        found = f"{where} is {_json_type(error.instance)}; expected {wanted}."
        return found + _NOT_NULLABLE if error.instance is None else found
    if keyword == "pattern":
        return f"{where} does not match the pattern {expected}."
    if keyword == "format":
        return f"{where} is not a valid {expected}."
    if keyword in ("maxItems", "minItems"):
        bound = "at most" if keyword == "maxItems" else "at least"
        return f"{where} has {len(error.instance)} items; expected {bound} {expected}."
    if keyword == "uniqueItems":
        return f"{where} repeats an item; expected each item once."
    if keyword == "enum":
        return f"{where} is not one of {', '.join(map(str, expected))}."
    if keyword in _BOUNDS:
        return f"{where} is {_BOUNDS[keyword]} {expected}."
    text = str(expected)
    return f"{where} fails {keyword} ({text[:80]}{'…' if len(text) > 80 else ''})."
