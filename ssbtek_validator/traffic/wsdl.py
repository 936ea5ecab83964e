"""The WSDL the test double serves at ``?wsdl``: written from our own pack, not copied from a contract.

SSBTEK is SOAP 1.1 document/literal with ``soapAction=""`` (the operation is the Body's first
child). The WSDL imports the pack's XSD, which the double serves under ``/xsd/`` with the files it
includes and imports beside it, so a SOAP client (zeep, a vendor's generated stubs) can load the
whole contract from the double alone.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from ssbtek_validator.packs.schema_packs import Pack

WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP_BINDING = "http://schemas.xmlsoap.org/wsdl/soap/"
XS = "http://www.w3.org/2001/XMLSchema"
HTTP_TRANSPORT = "http://schemas.xmlsoap.org/soap/http"


def xsd_path(pack: Pack) -> str:
    """The pack's entry schema relative to the schema root (``ssbt-v10/ssbt.xsd``), as served under /xsd/."""
    return pack.entry.resolve().relative_to(pack.root.resolve()).as_posix()


def schema_file(pack: Pack, relative: str) -> Path | None:
    """A schema file under the pack's root, or None: nothing outside it, nothing but .xsd, is ever served."""
    root = pack.root.resolve()
    path = (root / relative).resolve()
    if path.suffix != ".xsd" or not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def wsdl_for(pack: Pack, location: str, xsd_base: str) -> bytes:
    """A WSDL 1.1 document for every operation of ``pack``, its port at ``location``.

    ``xsd_base``: the URL under which the schema root is served (ends with ``/``).
    """
    ns = pack.namespace
    nsmap = {"wsdl": WSDL, "soap": SOAP_BINDING, "xsd": XS, "tns": ns}
    definitions = etree.Element(f"{{{WSDL}}}definitions", nsmap=nsmap, targetNamespace=ns, name="SSBTEK")
    types = etree.SubElement(definitions, f"{{{WSDL}}}types")
    schema = etree.SubElement(types, f"{{{XS}}}schema", targetNamespace=f"{ns}/wsdl-types")
    etree.SubElement(schema, f"{{{XS}}}import", namespace=ns, schemaLocation=xsd_base + xsd_path(pack))
    messages = (("Request", ""), ("Response", "Response"), ("Fault", "Fault"))
    for operation in pack.operations:
        for suffix, element in messages:
            message = etree.SubElement(definitions, f"{{{WSDL}}}message", name=f"{operation}{suffix}")
            etree.SubElement(message, f"{{{WSDL}}}part", name="parameters", element=f"tns:{operation}{element}")
    port_type = etree.SubElement(definitions, f"{{{WSDL}}}portType", name="SsbtekPortType")
    for operation in pack.operations:
        op = etree.SubElement(port_type, f"{{{WSDL}}}operation", name=operation)
        etree.SubElement(op, f"{{{WSDL}}}input", message=f"tns:{operation}Request")
        etree.SubElement(op, f"{{{WSDL}}}output", message=f"tns:{operation}Response")
        etree.SubElement(op, f"{{{WSDL}}}fault", name=f"{operation}Fault", message=f"tns:{operation}Fault")
    binding = etree.SubElement(definitions, f"{{{WSDL}}}binding", name="SsbtekBinding", type="tns:SsbtekPortType")
    etree.SubElement(binding, f"{{{SOAP_BINDING}}}binding", style="document", transport=HTTP_TRANSPORT)
    for operation in pack.operations:
        op = etree.SubElement(binding, f"{{{WSDL}}}operation", name=operation)
        etree.SubElement(op, f"{{{SOAP_BINDING}}}operation", soapAction="", style="document")
        for part in ("input", "output"):
            etree.SubElement(etree.SubElement(op, f"{{{WSDL}}}{part}"), f"{{{SOAP_BINDING}}}body", use="literal")
        fault = etree.SubElement(op, f"{{{WSDL}}}fault", name=f"{operation}Fault")
        etree.SubElement(fault, f"{{{SOAP_BINDING}}}fault", name=f"{operation}Fault", use="literal")
    service = etree.SubElement(definitions, f"{{{WSDL}}}service", name="SsbtekService")
    port = etree.SubElement(service, f"{{{WSDL}}}port", name="SsbtekPort", binding="tns:SsbtekBinding")
    etree.SubElement(port, f"{{{SOAP_BINDING}}}address", location=location)
    return etree.tostring(definitions, encoding="UTF-8", xml_declaration=True, pretty_print=True)
