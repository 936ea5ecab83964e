"""Finding the codes in a message fast: element paths as a shared trie, JSON paths as an index.

A message is checked against some 30 bindings; one XPath call per binding costs more than the rest
of the code-list check together (lxml sets up an evaluation context per call). Most bindings are
plain location paths (``ssbt:svarsdata/ssbt:MIV/ssbt:data/response/svarCollection/svar/arendeTyp``,
``.//*[local-name()='Resultat']/*[local-name()='ResultatKod']``), so those are merged into one trie
and walked once: each element's children are looked at once, whatever number of bindings share the
prefix. Anything else in an ``xpath`` is evaluated by lxml as XPath 1.0, compiled once. Both give the
same elements; tests compare them.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from ..codelists import Binding

_QNAME = re.compile(r"^(?:([A-Za-z_][\w.\-]*):)?([A-Za-z_][\w.\-]*)$")
_ANY_NAMESPACE = re.compile(r"""^\*\[local-name\(\)\s*=\s*(['"])([A-Za-z_][\w.\-]*)\1\]$""")


class _Node:
    """One step of the trie: where to go next from the elements that reached it."""

    __slots__ = ("bindings", "child_tags", "children", "descendants", "local_children")

    def __init__(self) -> None:
        self.bindings: list[Binding] = []
        self.children: dict[str, _Node] = {}  # Clark tag → node
        self.local_children: dict[str, _Node] = {}  # local name (any namespace) → node
        self.descendants: dict[str, _Node] = {}  # Clark tag, or {*}local for any namespace → node
        #: every child tag worth visiting, for lxml's C-level filter (set by freeze())
        self.child_tags: tuple[str, ...] = ()

    def step(self, kind: str, key: str) -> _Node:
        table = {"child": self.children, "local": self.local_children, "descendant": self.descendants}[kind]
        return table.setdefault(key, _Node())

    def freeze(self) -> None:
        self.child_tags = (*self.children, *("{*}" + name for name in self.local_children))
        for node in (*self.children.values(), *self.local_children.values(), *self.descendants.values()):
            node.freeze()


def _step(part: str, namespaces: dict[str, str], descendant: bool) -> tuple[str, str] | None:
    local = _ANY_NAMESPACE.match(part)
    if local:
        name = local.group(2)
        return ("descendant", "{*}" + name) if descendant else ("local", name)
    qname = _QNAME.match(part)
    if not qname:
        return None
    prefix, name = qname.groups()
    if prefix and prefix not in namespaces:
        return None
    tag = f"{{{namespaces[prefix]}}}{name}" if prefix else name
    return ("descendant" if descendant else "child", tag)


def simple_steps(xpath: str, namespaces: dict[str, str]) -> list[tuple[str, str]] | None:
    """``[(kind, key)…]`` when ``xpath`` is a plain location path we can walk ourselves, else None.

    Accepted: child steps ``name``, ``prefix:name`` or ``*[local-name()='name']``, and at most one
    ``//`` (a leading ``.//`` included). Unprefixed names are in no namespace, as in XPath 1.0.
    """
    text = xpath.strip()
    if text.startswith(".//"):
        text = text[1:]
    elif text.startswith("./"):
        text = text[2:]
    if text.count("//") > 1 or (text.startswith("/") and not text.startswith("//")):
        return None
    head, separator, tail = text.partition("//")
    parts = [(part, False) for part in head.split("/")] if head else []
    if separator:
        after = tail.split("/")
        parts += [(after[0], True)] + [(part, False) for part in after[1:]]
    steps = []
    for part, descendant in parts:
        step = _step(part, namespaces, descendant)
        if step is None:
            return None
        steps.append(step)
    return steps or None


class ElementPaths:
    """The elements every binding selects, from one walk of a trie plus any XPaths that are not simple."""

    def __init__(self, bindings: list[Binding], namespaces: dict[str, str]) -> None:
        self.root = _Node()
        self.xpaths: list[tuple[Binding, etree.XPath]] = []
        for binding in bindings:
            steps = simple_steps(binding.xpath, namespaces)
            if steps is None:
                self.xpaths.append((binding, etree.XPath(binding.xpath, namespaces=namespaces)))
                continue
            node = self.root
            for kind, key in steps:
                node = node.step(kind, key)
            node.bindings.append(binding)
        self.root.freeze()

    def __bool__(self) -> bool:
        return bool(self.xpaths or self.root.child_tags or self.root.descendants)

    def select(self, context: etree._Element) -> list[tuple[Binding, etree._Element]]:
        found: list[tuple[Binding, etree._Element]] = []
        self._visit(self.root, context, found)
        for binding, xpath in self.xpaths:
            found.extend((binding, element) for element in xpath(context) if isinstance(element, etree._Element))
        return found

    def _visit(self, node: _Node, element: etree._Element, found: list) -> None:
        for binding in node.bindings:
            found.append((binding, element))
        child_tags = node.child_tags
        if len(child_tags) == 1 and not node.local_children:
            # one way on: lxml filters in C (a multi-tag filter costs more to set up than a Python loop)
            nxt = node.children[child_tags[0]]
            for child in element.iterchildren(child_tags[0]):
                self._visit(nxt, child, found)
        elif child_tags:
            children, local_children = node.children, node.local_children
            for child in element:
                tag = child.tag
                if type(tag) is not str:
                    continue  # comment or processing instruction
                nxt = children.get(tag)
                if nxt is not None:
                    self._visit(nxt, child, found)
                if local_children:
                    nxt = local_children.get(tag.rpartition("}")[2])
                    if nxt is not None:
                        self._visit(nxt, child, found)
        for tag, nxt in node.descendants.items():
            for descendant in element.iterdescendants(tag):
                self._visit(nxt, descendant, found)


class JsonPaths:
    """JSON property path patterns of several bindings, indexed so most leaves cost one set lookup.

    A pattern is a ``/``-separated path of property names, ``*`` for any array index, optionally led by
    ``**/`` (at any depth). Leaves are matched on their path with array indices replaced by ``*``.
    """

    def __init__(self, bindings: list[Binding]) -> None:
        self.anchored: dict[tuple[str, ...], list[Binding]] = {}
        self.floating: dict[tuple[str, ...], list[tuple[tuple[str, ...], Binding]]] = {}
        for binding in bindings:
            for pattern in binding.json:
                segments = tuple(pattern.strip("/").split("/"))
                if segments[0] == "**":
                    suffix = segments[1:]
                    self.floating.setdefault(suffix[-2:], []).append((suffix, binding))
                else:
                    self.anchored.setdefault(segments, []).append(binding)
        #: a leaf whose last step is none of these cannot match: skip it without building its path
        self.last_steps = {key[-1] for key in self.anchored} | {key[-1] for key in self.floating}
        #: normalised leaf path → bindings it matches; bounded by the distinct paths documents have
        self._cache: dict[tuple[str, ...], tuple[Binding, ...]] = {}

    def __bool__(self) -> bool:
        return bool(self.anchored or self.floating)

    def leaves(self, document: Any) -> list[tuple[Binding, tuple[str | int, ...], str]]:
        """(binding, path, code) for every scalar leaf some pattern matches, in document order."""
        found: list[tuple[Binding, tuple[str | int, ...], str]] = []
        if type(document) is dict or type(document) is list:
            self._walk(document, [], [], found)
        return found

    def _walk(self, node: Any, path: list[str | int], norm: list[str], found: list) -> None:
        # hot path: one call per container; scalar leaves are handled inline and most are skipped by
        # their last step alone; which bindings a normalised path matches is worked out once per process
        last_steps = self.last_steps
        items = node.items() if type(node) is dict else enumerate(node)
        for key, value in items:
            kind = type(value)
            step = key if type(key) is str else "*"
            if kind is dict or kind is list:
                path.append(key)
                norm.append(step)
                self._walk(value, path, norm, found)
                path.pop()
                norm.pop()
            elif (kind is str or kind is int) and step in last_steps:
                norm.append(step)
                bindings = self._matching(tuple(norm))
                norm.pop()
                if bindings:
                    code = value if kind is str else str(value)
                    where = (*path, key)
                    found.extend((binding, where, code) for binding in bindings)

    def _matching(self, norm: tuple[str, ...]) -> tuple[Binding, ...]:
        cached = self._cache.get(norm)
        if cached is None:
            matched = list(self.anchored.get(norm, ()))
            for key in (norm[-2:], norm[-1:]) if len(norm) > 1 else (norm,):
                matched.extend(b for suffix, b in self.floating.get(key, ()) if norm[-len(suffix) :] == suffix)
            cached = self._cache[norm] = tuple(matched)
        return cached


def json_pointer(path: tuple[str | int, ...]) -> str:
    """RFC 6901: where a JSON value is, for ``outer XPath → JSON pointer`` locations."""
    return "".join("/" + str(step).replace("~", "~0").replace("/", "~1") for step in path)
