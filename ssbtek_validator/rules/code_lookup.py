"""Finding the codes in a message fast: element paths by one scan, JSON paths by an index.

A message is checked against some 30 bindings; one XPath call per binding costs more than the rest
of the code-list check together (lxml sets up an evaluation context per call, and ``local-name()``
predicates are slow). Most bindings are plain location paths
(``ssbt:svarsdata/ssbt:MIV/ssbt:data/response/svarCollection/svar/arendeTyp``,
``.//*[local-name()='Resultat']/*[local-name()='ResultatKod']``), so those are found by one C-level
scan for their last steps and a check upwards. Anything else in an ``xpath`` is evaluated by lxml as
XPath 1.0, compiled once. Both give the same elements; tests compare them on the corpus.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from types import CodeType
from typing import Any

from lxml import etree

from ssbtek_validator.packs.codelists import Binding
from ssbtek_validator.reading.message import is_leaf, text_of

_QNAME = re.compile(r"^(?:([A-Za-z_][\w.\-]*):)?([A-Za-z_][\w.\-]*)$")
_ANY_NAMESPACE = re.compile(r"""^\*\[local-name\(\)\s*=\s*(['"])([A-Za-z_][\w.\-]*)\1\]$""")


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


def _matcher(kind: str, key: str) -> tuple[str | None, str | None]:
    """(exact Clark tag, None) or (None, local name) for a step that matches any namespace."""
    if kind == "local":
        return None, key
    if key.startswith("{*}"):
        return None, key[3:]
    return key, None


#: a step an element must match: (exact Clark tag, None) or (None, local name in any namespace)
Matcher = tuple[str | None, str | None]
#: the steps above a path's last one, nearest first, and whether the topmost is a child of the context
Above = tuple[tuple[Matcher, ...], bool]


class ElementPaths:
    """The elements every binding selects, without one XPath call per binding.

    A simple path (child steps from the context, or ``.//`` then child steps) is found by one C-level
    scan of the context's descendants for the last steps of all paths at once; each hit is then checked
    upwards against the rest of its path, remembering shared ancestors (the four MIV codes of one
    decision share six). Anything else is evaluated by lxml as XPath 1.0, compiled once.
    """

    def __init__(self, bindings: list[Binding], namespaces: dict[str, str]) -> None:
        self.xpaths: list[tuple[Binding, etree.XPath]] = []
        self.by_tag: dict[str, list[tuple[Binding, Above]]] = {}
        self.by_local: dict[str, list[tuple[Binding, Above]]] = {}
        interned: dict[Above, Above] = {}
        for binding in bindings:
            steps = simple_steps(binding.xpath, namespaces)
            if steps is None or any(kind == "descendant" for kind, _ in steps[1:]):
                self.xpaths.append((binding, etree.XPath(binding.xpath, namespaces=namespaces)))
                continue
            exact, local = _matcher(*steps[-1])
            above = (tuple(_matcher(kind, key) for kind, key in reversed(steps[:-1])), steps[0][0] != "descendant")
            above = interned.setdefault(above, above)
            table, key = (self.by_tag, exact) if exact is not None else (self.by_local, local)
            table.setdefault(key, []).append((binding, above))
        self.scan_tags = (*self.by_tag, *("{*}" + name for name in self.by_local))
        #: tag → its candidates, exact-tag ones first: a scanned element's list is one lookup instead of two and
        #: a join (tags are bounded by the scan's own); see :meth:`candidates`
        self._candidates: dict[str, list[tuple[Binding, Above]]] = {}

    def __bool__(self) -> bool:
        return bool(self.xpaths or self.scan_tags)

    def candidates(self, tag: str) -> list[tuple[Binding, Above]]:
        """The bindings whose last step ``tag`` matches: exact ones, then any-namespace ones, as the scan
        first tried them per element; worked out once per tag. With the last-parent memo in :meth:`collect`, ~1 µs
        of the rule's ~22 per message (in-process, 3,000 files, conforming and mixed, medians of 6, interleaved)."""
        found = self._candidates.get(tag)
        if found is None:
            found = self._candidates[tag] = [*self.by_tag.get(tag, ()), *self.by_local.get(tag.rpartition("}")[2], ())]
        return found

    def select(self, context: etree._Element) -> list[tuple[Binding, etree._Element]]:
        """Every (binding, element) the bindings' paths select, in document order per strategy."""
        return [(binding, element) for binding, element, _code in self.collect(context)]

    def collect(
        self, context: etree._Element, valid: dict[str, dict[str, str]] | None = None, observed: list | None = None
    ) -> list[tuple[Binding, etree._Element, str]]:
        """(binding, element, code) for the selected elements. Given ``valid`` (binding id → code → coverage
        key), a leaf whose code is in it is settled here, its key appended to ``observed``, and not returned:
        the common case costs no more than the lookup."""
        found: list[tuple[Binding, etree._Element, str]] = []
        if self.scan_tags:
            merged = self._candidates
            # the last parent climbed and what it gave: the codes of one MIV decision are siblings, found one after
            # another, so this answers them as a dict keyed by (parent, path) did, without building the key
            last_parent, last_above, last_fits = None, None, False
            last_grand, last_grand_above, last_grand_fits = None, None, False
            for element in context.iterdescendants(*self.scan_tags):  # document order
                tag = element.tag  # built anew on each read (~0.1 µs for a namespaced element): read once
                candidates = merged.get(tag)
                if candidates is None:
                    candidates = self.candidates(tag)
                if not candidates:
                    continue
                parent = element.getparent()
                code = None
                for binding, above in candidates:
                    steps = above[0]
                    if len(steps) > 1:
                        if parent is not last_parent or above is not last_above:
                            # the parent's own step read here, and the rest of the climb, from the parent's parent,
                            # remembered too: MIV's decisions (svar) are siblings under one svarCollection, and each
                            # climbed all six steps. With the inlined one-step climb below: ~0.6 µs a mixed message
                            # (SSBT-CODE ~18.4 -> ~17.7, in-process, 3,000 files, best of 3 interleaved runs); an
                            # answer's scan ~11.4 -> ~10.4 µs warm
                            exact, local = steps[0]
                            fits = False
                            if parent is not None and parent is not context:
                                ptag = parent.tag
                                if (ptag == exact) if exact is not None else (ptag.rpartition("}")[2] == local):
                                    grand = parent.getparent()
                                    if grand is not last_grand or above is not last_grand_above:
                                        last_grand, last_grand_above = grand, above
                                        last_grand_fits = _climb(grand, above, context, 1)
                                    fits = last_grand_fits
                            last_parent, last_above, last_fits = parent, above, fits
                        if not last_fits:
                            continue
                    elif not steps:  # the last step is the path: below the context, or a child of it
                        if above[1] and parent is not context:
                            continue
                    else:  # one step, the climb inlined: cheaper than remembering it
                        exact, local = steps[0]
                        if parent is None or parent is context:
                            continue
                        if (parent.tag != exact) if exact is not None else (parent.tag.rpartition("}")[2] != local):
                            continue
                        if above[1] and parent.getparent() is not context:
                            continue
                    if valid is None:
                        found.append((binding, element, ""))
                        continue
                    if code is None:  # read once however many bindings select the element
                        if len(element) and not is_leaf(element):  # no child node at all: a leaf, no call
                            break  # structure, not a code (a binding selects leaf elements)
                        code = text_of(element).strip()
                    key = valid[binding.id].get(code)
                    if key is None:
                        found.append((binding, element, code))
                    else:
                        observed.append(key)
        for binding, xpath in self.xpaths:
            for element in xpath(context):
                if not isinstance(element, etree._Element):
                    continue
                if valid is None:
                    found.append((binding, element, ""))
                    continue
                if not is_leaf(element):
                    continue
                code = text_of(element).strip()
                key = valid[binding.id].get(code)
                if key is None:
                    found.append((binding, element, code))
                else:
                    observed.append(key)
        return found


def _climb(node, above: Above, context, start: int = 0) -> bool:
    """Does ``node`` sit where the steps of ``above`` from ``start`` on say, up to the context?"""
    steps, anchored = above
    for exact, local in steps[start:] if start else steps:
        if node is None or node is context:
            return False
        if (node.tag != exact) if exact is not None else (node.tag.rpartition("}")[2] != local):
            return False
        node = node.getparent()
    # a path from the context: its first step is a child of the context. A .// path: its first step is
    # a proper descendant, which every element scanned below the context (and not above it) is.
    return node is context if anchored else True


class JsonPaths:
    """JSON property path patterns of several bindings: followed along a trie when all are anchored,
    otherwise matched on a walk of the document where most leaves cost one set lookup.

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
        #: anchored patterns as a trie: step → (sub-trie, bindings ending there). With no "**/" pattern the
        #: document is not walked at all, only looked up along the trie (FK's formansinformation, the bulk
        #: of an answer, is never touched)
        self.trie: dict[str, tuple[dict, list[Binding]]] = {}
        for pattern, matched in self.anchored.items():
            level = self.trie
            for depth, step in enumerate(pattern):
                children, ending = level.setdefault(step, ({}, []))
                if depth == len(pattern) - 1:
                    ending.extend(matched)
                level = children
        #: normalised leaf path → bindings it matches; bounded by the distinct paths documents have
        self._cache: dict[tuple[str, ...], tuple[Binding, ...]] = {}
        try:
            self._follow: Callable[[Any, Any, Any, list], None] | None = _compile_trie(self.trie)
        except (SyntaxError, RecursionError):  # a pattern deeper than Python nests blocks: walk instead
            self._follow = None

    def __bool__(self) -> bool:
        return bool(self.anchored or self.floating)

    def leaves(
        self, document: Any, valid: dict[str, dict[str, str]] | None = None, observed: list | None = None
    ) -> list[tuple[Binding, tuple[str | int, ...], str]]:
        """(binding, path, code) for every scalar leaf some pattern matches. Given ``valid`` (binding id →
        code → coverage key), leaves whose code is in it are settled here (key appended to ``observed``)."""
        found: list[tuple[Binding, tuple[str | int, ...], str]] = []
        if type(document) is not dict and type(document) is not list:
            return found
        if not self.floating and self._follow is not None:
            settled_before = len(observed) if observed is not None else 0
            try:
                self._follow(document, valid, observed, found)
                return found
            except _LiteralStar:  # start again by the walk, forgetting what the compiled code settled
                found.clear()
                if observed is not None:
                    del observed[settled_before:]
        self._walk(document, [], [], found)
        if valid is None:
            return found
        unsettled = []
        for item in found:
            key = valid[item[0].id].get(item[2])
            if key is None:
                unsettled.append(item)
            else:
                observed.append(key)
        return unsettled

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


class _LiteralStar(Exception):
    """A document with a property named "*" where a pattern has "*": walked, not followed."""


def _compile_trie(trie: dict[str, tuple[dict, list[Binding]]]) -> Callable[[Any, Any, Any, list], None]:
    """The trie as one Python function of nested lookups and loops, as fastjsonschema compiles a schema.

    Following the trie step by step cost a method call per container and per value on a pattern's way;
    this was a third of the code-list rule. The function visits what following the trie visited, in
    the same order: at an object, each of the level's names; at an array, its items when the level has
    ``*``. A property literally named ``*`` matches a ``*`` step too (as in the walk); an object with
    one where a pattern has ``*`` raises :class:`_LiteralStar`, and the caller walks that document
    instead (one code path for the rare case, not a copy of every subtree below ``*``). A scalar where
    a pattern ends is a leaf: settled when ``valid`` knows its code (its coverage key appended to
    ``observed``), else appended to ``found`` as (binding, path, code).
    """
    bindings: list[Binding] = []
    lines = ["def follow(node0, valid, observed, found):"]

    def level_code(level: dict, node: str, kind: str, keyword: str, path: list[str], depth: int, indent: str) -> None:
        # ``kind`` names the variable holding type(node), read once per value: the branches below ask it, not
        # type() again; a null is no container and no code, so a name's value is looked up with get() and None
        # skipped, as the walk skips it. ~2.07 -> ~1.82 µs an FK document (the corpus's 78, warm, best of 5)
        named = [(key, entry) for key, entry in level.items() if key != "*"]
        if named or "*" in level:
            lines.append(f"{indent}{keyword} {kind} is dict:")
            if "*" in level:  # a property named "*" matches too, as in the walk: rare enough to hand over
                lines.append(f"{indent}    if '*' in {node}:")
                lines.append(f"{indent}        raise _LiteralStar")
            for key, (children, ending) in named:
                value = f"v{depth}"
                lines.append(f"{indent}    {value} = {node}.get({key!r})")
                lines.append(f"{indent}    if {value} is not None:")
                value_code(value, children, ending, [*path, repr(key)], depth, indent + "        ")
        if "*" in level:
            children, ending = level["*"]
            index, value = f"i{depth}", f"v{depth}"
            lines.append(f"{indent}elif {kind} is list:")
            lines.append(f"{indent}    for {index}, {value} in enumerate({node}):")
            value_code(value, children, ending, [*path, index], depth, indent + "        ")

    def value_code(value: str, children: dict, ending: list[Binding], path: list[str], depth: int, indent: str) -> None:
        kind = f"k{depth}"
        lines.append(f"{indent}{kind} = type({value})")
        if ending:
            lines.append(f"{indent}if {kind} is str or {kind} is int:")
            lines.append(f"{indent}    code = {value} if {kind} is str else str({value})")
            for binding in ending:
                bindings.append(binding)
                number = len(bindings) - 1
                lines.append(f"{indent}    settled = None if valid is None else valid[{binding.id!r}].get(code)")
                lines.append(f"{indent}    if settled is None:")
                lines.append(f"{indent}        found.append((bindings[{number}], ({', '.join(path)},), code))")
                lines.append(f"{indent}    else:")
                lines.append(f"{indent}        observed.append(settled)")
        if children:
            level_code(children, value, kind, "elif" if ending else "if", path, depth + 1, indent)
        lines.append(f"{indent}pass")

    lines.append("    k0 = type(node0)")
    level_code(trie, "node0", "k0", "if", [], 1, "    ")
    lines.append("    return None")
    namespace: dict[str, Any] = {"_LiteralStar": _LiteralStar, "bindings": bindings}
    exec(_compiled_source("\n".join(lines)), namespace)
    return namespace["follow"]


@lru_cache(maxsize=16)
def _compiled_source(source: str) -> CodeType:
    """The code object of a generated ``follow``, compiled once per process for each distinct source: the
    packs of SSBTEK v10 and v11 bind the same LEFI paths, so their tries generate the same ~900 lines, which
    Python took ~7 ms to compile a second time (~1.4 µs a message of a 5,000-message batch holding both
    versions). The source names bindings by number; each trie runs the code with its own ``bindings``."""
    return compile(source, "<code-list json paths>", "exec")


def json_pointer(path: tuple[str | int, ...]) -> str:
    """RFC 6901: where a JSON value is, for ``outer XPath → JSON pointer`` locations."""
    text = "/".join([step if type(step) is str else str(step) for step in path])
    # a step holds a "/" exactly when the joined text holds more "/" than the separators: one count instead of a
    # generator over the steps (~0.66 -> ~0.48 µs a five-step pointer, warm); most pointers need no escaping
    if "~" in text or text.count("/") >= len(path):
        text = "/".join([str(step).replace("~", "~0").replace("/", "~1") for step in path])
    return "/" + text if path else ""
