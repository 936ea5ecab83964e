"""Code values for generated documents: the codes a list holds on the day a document is dated.

The effective-dated code lists and their bindings (``codelists/*.csv``, ``codelists/bindings.toml``,
loaded by ``ssbtek_validator.packs.codelists``) say which element or JSON property takes codes from which list in
which versions. The generators read the same data, so a valid document only carries codes that are
in force on its date, and a new list or binding reaches the generators without code changes here.
Where the code-list layer is not available, the few lists the nested generators need fall back to
values the sources state (the LEFI REST v9 OpenAPI lists used in the corpus).
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

from lxml import etree

_FALLBACK: dict[str, tuple[str, ...]] = {
    "lefi9-fk-formansgrupp": ("FK:BOB", "FK:SJP", "FK:PJOB", "FK:OMV", "FK:MEK"),
    "lefi9-pm-formansgrupp": ("PM:AP",),
    "lefi9-ovriginformationstyp": ("FK:GEPI",),
    "lefi9-tillstand": ("OK", "FELANDE", "OTILLGANGLIG"),
    "lefi9-utlamnare": ("FK", "PM"),
    "csn-resultatkod": ("0",),
}
_LAST_STEP = re.compile(r"(?:local-name\(\)\s*=\s*'([\w.\-]+)'\]\s*|(?:^|/)(?:[\w.\-]+:)?([\w.\-]+))$")


@cache
def _catalogue():
    try:
        from ssbtek_validator.packs.codelists import builtin_catalogue
    except ImportError:  # the code-list layer is not in this build
        return None
    return builtin_catalogue()


def code_values(names: str | tuple[str, ...], day: date, place: str | None = None) -> tuple[str, ...]:
    """Codes of the list(s) ``names`` in force on ``day`` (a code in any of them counts).

    ``place`` is where the code will sit (e.g. the formanstyp around a beloppstyp, see :func:`place_of`):
    given, a code that may appear only in some places (P37/P38: under ålderspension) is left out
    elsewhere; None means "any place" (for telling valid codes from invalid ones).
    """
    names = (names,) if isinstance(names, str) else names
    catalogue = _catalogue()
    found: list[str] = []
    if catalogue is not None:
        for name in names:
            if name in catalogue.lists:
                found.extend(
                    row.code
                    for row in catalogue.lists[name].as_of(day)
                    if place is None or not row.context or place in row.context
                )
    if not found:
        for name in names:
            found.extend(_FALLBACK.get(name, ()))
    return tuple(dict.fromkeys(found))


def place_of(element: etree._Element, names: tuple[str, ...]) -> str | None:
    """Where a code of the lists ``names`` sits, by its bindings' ``context`` XPath ("" when nowhere
    named); None when no binding of those lists says that codes have a place."""
    catalogue = _catalogue()
    if catalogue is None:
        return None
    paths = _context_paths(names)
    if not paths:
        return None
    for path in paths:
        for found in path(element):
            if isinstance(found, etree._Element):
                return "".join(found.itertext()).strip()
    return ""


@cache
def _context_paths(names: tuple[str, ...]) -> tuple[etree.XPath, ...]:
    catalogue = _catalogue()
    namespaces = {"ssbt": "urn:unused", **catalogue.namespaces}
    return tuple(
        etree.XPath(binding.context_xpath, namespaces=namespaces)
        for binding in catalogue.bindings
        if binding.context_xpath and set(binding.lists) & set(names)
    )


def description(names: tuple[str, ...], code: str, day: date) -> str | None:
    """The code's description in the first list that has it on ``day``."""
    catalogue = _catalogue()
    if catalogue is None:
        return None
    for name in names:
        code_list = catalogue.lists.get(name)
        if code_list is None:
            continue
        for row in code_list.as_of(day):
            if row.code == code and row.description:
                return row.description
    return None


@cache
def element_lists(version: int, direction: str, model: str = "") -> dict[str, tuple[str, ...]]:
    """Element local name → code lists, for the XPath bindings of a pack version and direction.

    ``model`` selects the bindings inside a nested XML document (pack.toml ``[[payload]]`` model);
    empty means the SSBTEK message itself. The binding's last step names the element.
    """
    catalogue = _catalogue()
    if catalogue is None:
        return {}
    found: dict[str, tuple[str, ...]] = {}
    for binding in catalogue.bindings:
        if not binding.xpath or binding.payload != model or not binding.applies_to(version, direction):
            continue
        step = _LAST_STEP.search(binding.xpath.strip())
        if step:
            local = step.group(1) or step.group(2)
            found[local] = tuple(dict.fromkeys(found.get(local, ()) + tuple(binding.lists)))
    return found


@cache
def element_bindings(version: int, direction: str) -> dict:
    """Element local name → its code-list binding (``packs.codelists.Binding``) in the SSBTEK message."""
    catalogue = _catalogue()
    if catalogue is None:
        return {}
    found = {}
    for binding in catalogue.bindings:
        if binding.xpath and not binding.payload and binding.applies_to(version, direction):
            step = _LAST_STEP.search(binding.xpath.strip())
            if step:
                found.setdefault(step.group(1) or step.group(2), binding)
    return found


def invalid_codes(names: tuple[str, ...], day: date) -> tuple[str, ...]:
    """Codes the lists do not hold on ``day``: dated ones out of force, and codes no list has."""
    valid = set(code_values(names, day))
    catalogue = _catalogue()
    dated = []
    if catalogue is not None:
        for name in names:
            code_list = catalogue.lists.get(name)
            dated.extend(row.code for row in (code_list.codes if code_list else ()) if row.code not in valid)
    return tuple(dict.fromkeys([*dated, "OKAND-KOD", "ZZ9"]))
