"""Run the flow for each input: read → parse → detect → rules → findings.

This is the library's centre; the CLI only wires options to :func:`validate_sources`. A rule that
raises is reported as SSBT-RULE-FAILED (the message is then *incomplete*), never as a pass, and
never stops the rest of the batch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from ssbtek_validator.packs.schema_packs import Pack, builtin_packs, detect
from ssbtek_validator.reading.inputs import SKIPPED, Skipped, Source, iter_sources
from ssbtek_validator.reading.message import Message, parse, text_of
from ssbtek_validator.results.masking import personal_words
from ssbtek_validator.results.model import Finding, MessageResult, RunResult, Severity
from ssbtek_validator.results.safe_text import quotable_text, safe_result, safe_run
from ssbtek_validator.rules import Context, Rule
from ssbtek_validator.rules.base import applies_by_kind, concerns
from ssbtek_validator.run.coverage import observe
from ssbtek_validator.run.options import DEFAULT_OPTIONS, Options, today_fixed
from ssbtek_validator.run.pairing import Exchanges, judge_pair
from ssbtek_validator.run.secrets import message_values, secrets_pattern
from ssbtek_validator.run.swedish_time import swedish_day, today_in_sweden

if TYPE_CHECKING:
    from ssbtek_validator.reading.http_binding import HttpFacts
    from ssbtek_validator.run.secrets import Secrets


def validate_sources(
    sources: Iterable[Source | Skipped],
    options: Options = DEFAULT_OPTIONS,
    packs: dict[int, Pack] | None = None,
    exchanges: Exchanges | None = None,
) -> RunResult:
    """``exchanges``: given by a caller that splits one run over several calls (ssbtek_validator.run.executor, --jobs);
    it then keeps the sides for --pairs and pairs them itself at the end of the whole run."""
    packs = builtin_packs() if packs is None else packs
    options = today_fixed(options)
    if options.config is not None:  # a disabled rule is not run at all
        options = replace(options, rules=options.config.enabled_rules(options.rules))
    result = RunResult(strict=options.strict, show_values=options.show_values)
    pairs_here = exchanges is None
    exchanges = Exchanges(options, packs, validate_message) if exchanges is None else exchanges
    unsafe: list[tuple[MessageResult, Secrets | None]] = []  # checked, not yet made safe: see made_safe
    for source in sources:
        if isinstance(source, Skipped):  # what a folder's walk left out: said once, for the run
            if options.config is None or not options.config.is_disabled(SKIPPED):
                result.run_findings.append(source.finding())
            continue
        try:
            if exchanges.takes(source):  # a HAR capture: its messages and its exchanges
                exchanges.capture(source, result)
                continue
            message = parse(source, options.limits)
            result.messages.append(validate_message(source, options, packs, message, unsafe=unsafe))
            exchanges.remember(message)
            # the tree is freed here, before the next input is read and parsed: held until the next parse had
            # built its own, two trees alternated in memory and the parse met colder caches
            del message
        except Exception as exc:  # last resort: one input must never stop the batch nor pass
            result.messages.append(_failed(source.name, exc, options.show_values))
        # a message without findings has nothing to bound: the next message with some counts it in its turn
        # (bound_findings counts every message since its last call), and most messages have none
        if result.messages[-1].findings:
            result.bound_findings(options.limits.max_run_findings)
        if len(unsafe) >= SAFE_TOGETHER:
            made_safe(result, unsafe, options.show_values)
    made_safe(result, unsafe, options.show_values)
    if pairs_here:  # the whole run in this call (ssbtek_validator.run.executor configures a split run at its end)
        exchanges.finish(result)
        configure_run(result, options)
        note_findings_not_kept(result, options.limits.max_run_findings)
    return safe_run(result, options.show_values)


def note_findings_not_kept(result: RunResult, most: int) -> None:
    """The one run-level info saying how many findings the report leaves out (RunResult.bound_findings), if any.
    An info: everything was checked, so it does not make the run incomplete."""
    if result.findings_not_kept:
        text = (
            f"{result.findings_not_kept:,} findings were counted but not kept: a run keeps at most {most:,} "
            "(--max-run-findings); past it each message keeps the finding that decides its verdict, "
            "and verdicts, totals and the exit code count them all."
        )
        result.run_findings.append(Finding("SSBT-LIMIT", Severity.INFO, text))


#: messages checked before their texts are made safe together (see made_safe): a run's worth of them would hold
#: a pattern of values for each message whose findings' texts are searched
SAFE_TOGETHER = 256


def made_safe(result: RunResult, unsafe: list[tuple[MessageResult, Secrets | None]], show_values: bool) -> None:
    """The texts of the messages ``validate_message`` left in ``unsafe`` made safe to print, in one pass, and the
    list emptied. Why together, after up to SAFE_TOGETHER messages were checked: done after each message, the
    masking code and the cleaned texts it looks up were cold again, past the parse and the rules of that message,
    and cost ~2.5 µs a message of the mixed batch more (CPU, in-process on the command's path, interleaved
    medians). What it changes in a result (its texts) is read by nothing between: the findings bound reads rules
    and severities, and reports read a run that validate_sources returned. A message whose texts cannot be made
    safe is reported as one the validator failed on, as before."""
    if not unsafe:
        return
    messages = result.messages
    for checked, secrets in unsafe:
        try:
            safe_result(checked, show_values, secrets)  # in place
        except Exception as exc:  # as a failure in validate_message: that input fails, the batch goes on
            at = next(index for index in range(len(messages) - 1, -1, -1) if messages[index] is checked)
            messages[at] = _failed(checked.file, exc, show_values)
    unsafe.clear()


def _failed(name: str, exc: Exception, show_values: bool) -> MessageResult:
    """A bug met on this input, reported as one (the fuzz target treats this finding as a failure).
    Memory running out is no bug of the input's: a limit it is, and the rest of the batch goes on."""
    if isinstance(exc, MemoryError):
        text = (
            "Input not checked: memory ran out while checking it (lower --max-nodes or --max-message-bytes "
            "so that such inputs are refused before they are read)."
        )
        out = MessageResult(file=name, findings=[Finding("SSBT-LIMIT", Severity.ERROR, text, name)])
        return safe_result(out, show_values)
    text = (
        f"The validator failed on this input ({type(exc).__name__}) and did not check it; "
        "this is a bug in the validator, please report it."
    )
    return not_checked(name, text, show_values)


def not_checked(name: str, text: str, show_values: bool) -> MessageResult:
    """An input the validator itself failed on: SSBT-RULE-FAILED, so the message is incomplete, never passed."""
    failed = MessageResult(file=name, findings=[Finding("SSBT-RULE-FAILED", Severity.ERROR, text, name)])
    return safe_result(failed, show_values)


def validate_paths(
    paths: Iterable[str | Path], options: Options = DEFAULT_OPTIONS, packs: dict[int, Pack] | None = None
) -> RunResult:
    return validate_sources(iter_sources(paths, options.limits, options.include, skipped=True), options, packs)


def validate_message(
    source: Source,
    options: Options,
    packs: dict[int, Pack],
    message: Message | None = None,
    *,
    unsafe: list[tuple[MessageResult, Secrets | None]] | None = None,
) -> MessageResult:
    """One message, whatever it holds: the rule configuration is applied once, here, and the texts of
    the result are made safe to print once, here. ``unsafe``: given by validate_sources, which makes the texts
    of many messages safe together (made_safe): the result is returned as checked, and added to it with the
    values its texts are searched for."""
    message = parse(source, options.limits) if message is None else message
    result = _validate_message(source, options, packs, message)
    if options.config is not None:  # the one place configuration changes findings, for every output
        options.config.apply(result)
    secrets = None
    # a conforming message has nothing to quote; the findings our rules wrote whole mask what they quote
    within = quotable_text(result) if result.findings and not options.show_values else ""
    if within:
        foreign = personal_words(message.namespace) if message.namespace and not result.detection.pack_id else []
        # only the values the findings' texts can quote are sought (see secrets_pattern)
        values = chain(message_values(message.root, len(message.raw)), foreign)
        secrets = secrets_pattern(values, within)
    if unsafe is not None:
        unsafe.append((result, secrets))
        return result
    return safe_result(result, options.show_values, secrets)


def configure_run(result: RunResult, options: Options) -> None:
    """The same configuration on what the run found beyond single messages: exchanges, and the run's own
    findings about it (an expired suppression, what the baseline hid)."""
    if options.config is None:
        return
    hidden = sum(message.suppressed for message in result.messages)
    for exchange in result.exchanges:
        exchange.findings, suppressed = options.config.filter(exchange.findings)
        hidden += suppressed
    result.run_findings.extend(options.config.run_findings(hidden))


def _validate_message(
    source: Source, options: Options, packs: dict[int, Pack], message: Message | None = None
) -> MessageResult:
    message = parse(source, options.limits) if message is None else message
    if message.payload is None:  # nothing to route: say why, and do not pretend a forced pack applied
        return MessageResult(source.name, detection=detect(message, packs)[0], findings=list(message.findings))
    detection, findings = detect(message, packs, options.version)
    # made with its detection: the default one (a frozen dataclass, ~1 µs) would only be thrown away
    result = MessageResult(source.name, detection=detection, findings=[*message.findings, *findings])
    pack = packs.get(detection.version) if detection.pack_id else None
    if pack is None:
        return result
    when, source_of_date = message_date(message, options.as_of, options.as_of_source)
    result.message_date, result.message_date_source = when.isoformat(), source_of_date
    context = Context(
        message, pack, detection, options.limits, when, options.show_values, message_date_source=source_of_date
    )
    if options.config is not None:
        context.test_persons = options.config.test_persons
    # read once per message, not once per rule, and an empty list not extended: a rule that finds nothing cost
    # the loop ~0.34 µs, now ~0.27 (20 no-op rules over 3,000 files, CPU, medians of 5, six interleaved runs)
    rules_run, found_here, most, name = result.rules_run, result.findings, options.limits.max_findings, message.name
    for rule, recheck, ask in _kind_plan(options.rules, pack, message.operation, message.direction, context):
        try:
            if recheck and not concerns(rule, pack.version):  # raises again, here, as the rule's failure
                continue
            if ask and not rule.applies(context):
                continue
            rule_id = rule.id
            rules_run.append(rule_id)
            found = capped(rule.check(context), most, rule_id, name)
            if found:  # most rules find nothing
                found_here.extend(found)
        except Exception as exc:  # a broken rule must not pass silently nor stop the batch
            found_here.append(
                Finding(
                    "SSBT-RULE-FAILED",
                    Severity.ERROR,
                    f"Rule {rule.id} could not run ({type(exc).__name__}); this message is not fully checked.",
                    file=message.name,
                )
            )
    if options.coverage:  # certification coverage, not a rule; what rules observed is dropped without it
        context.observed.extend(observe(message, pack.agencies))
        result.observed = context.observed
    return result


#: distinct rule sets × packs × kinds of message a process meets: a handful (one configuration, a few packs,
#: two operations, two directions); a caller that makes rule tuples by the thousand (tests) empties it now and then
_MOST_PLANS = 64


def _version_plan(rules: tuple[Rule, ...], version: int | None) -> list[tuple[Rule, bool]]:
    """The rules that concern messages of ``version``, in order (asking each of ~24 rules per message, nine
    of them version rules that never apply to v10/v11, cost ~0.4 µs a rule; _kind_plan keeps the answer).
    ``recheck``: the rule's ``versions`` could not be read; it is asked again per message so that it fails as
    that message's SSBT-RULE-FAILED, as it always has."""
    plan: list[tuple[Rule, bool]] = []
    for rule in rules:
        try:
            if concerns(rule, version):
                plan.append((rule, False))
        except Exception:  # reported per message, in the loop
            plan.append((rule, True))
    return plan


#: (rule, recheck its versions per message, ask its applies per message), in order
KindPlan = tuple[tuple[Rule, bool, bool], ...]
#: (id of a rule tuple, id of a pack, operation, direction) -> (that tuple, that pack, its plan); see _kind_plan
_KIND_PLANS: dict[tuple[int, int, str | None, str | None], tuple[tuple[Rule, ...], Pack, KindPlan]] = {}


def _kind_plan(
    rules: tuple[Rule, ...], pack: Pack, operation: str | None, direction: str | None, context: Context
) -> KindPlan:
    """The rules to run on messages of ``pack`` with this operation and direction, in order: a rule whose
    applies depends on nothing else (``applies_by_kind``) is asked once, with the first such message's
    ``context``, and left out when it said no; the others are asked per message. Of ~21 rules a v10/v11
    message runs, 17 are answered here: ~7 µs of a message's ~290 (CPU, 3,000 files, medians of 7).

    A rule whose applies raises here is asked per message instead, so that it fails as that message's
    SSBT-RULE-FAILED, as it always has. Keyed by identities (kept in the entry, so a reused id is never
    mistaken for them; hashing 24 rules per message would cost more than the lookup saves); the operation
    and direction come from the message, so the table is bounded by _MOST_PLANS."""
    key = (id(rules), id(pack), operation, direction)
    entry = _KIND_PLANS.get(key)
    if entry is not None and entry[0] is rules and entry[1] is pack:
        return entry[2]
    plan: list[tuple[Rule, bool, bool]] = []
    for rule, recheck in _version_plan(rules, pack.version):
        if recheck or not applies_by_kind(rule):
            plan.append((rule, recheck, True))
            continue
        try:
            if rule.applies(context):
                plan.append((rule, False, False))
        except Exception:  # asked again per message, in the loop
            plan.append((rule, False, True))
    if len(_KIND_PLANS) >= _MOST_PLANS:
        _KIND_PLANS.clear()
    planned = tuple(plan)
    _KIND_PLANS[key] = (rules, pack, planned)
    return planned


def message_date(message: Message, as_of: date | None, as_of_source: str = "--as-of") -> tuple[date, str]:
    """frageTidpunkt when the message carries it, else --as-of, else today; the report says which."""
    payload = message.payload
    unread = ""
    # a quarter of a batch's answers (pings, faults, some answers) hold none: the bytes say so at once, where
    # reading the top of the tree and then searching all of it cost ~10 µs such a message (~3 µs a message)
    named = payload is not None and message.may_name(b"frageTidpunkt")
    element = _first_named(payload, "frageTidpunkt") if named else None
    if element is not None:
        parsed = _parse_datetime(text_of(element))
        if parsed:
            return parsed, "frageTidpunkt"
        # xs:dateTime admits years past 9999; say the message's own date was not used, never hide it
        unread = "; its frageTidpunkt is no date in 0001–9999"
    if as_of is not None:
        return as_of, as_of_source + unread
    return today_in_sweden(), "today" + unread


#: nodes :func:`_first_named` reads one by one before it asks lxml to search: frageTidpunkt is the first
#: or second element below the operation in every SSBTEK question and answer
_NEAR_TOP = 8


def _first_named(payload: etree._Element, name: str) -> etree._Element | None:
    """The first element called ``name`` (in any namespace) in document order: what
    ``next(payload.iter("{*}" + name), None)`` gives, without its cost. lxml's filtered iterator finds the
    *next* match before it hands over the current one, so asking it for the first reads the whole tree
    after that (~2 µs of an answer of 130 elements, and more the larger the answer). The nodes near the
    top, where frageTidpunkt is, are read one by one, by index and sibling steps (:func:`_following`): an
    unfiltered iterator, and the tag matcher lxml builds with it, cost ~0.25 µs to make before a node was read.
    Only past them does lxml search."""
    in_namespace = "}" + name  # a Clark name's local part follows its last "}", and holds none
    node: etree._Element | None = payload
    read = 0
    while node is not None:
        tag = node.tag
        if type(tag) is str and (tag == name or tag.endswith(in_namespace)):
            return node
        if read == _NEAR_TOP:
            return _search(payload, name)
        read += 1
        node = _following(node, payload)
    return None


def _following(node: etree._Element, top: etree._Element) -> etree._Element | None:
    """The node after ``node`` in document order, within ``top``'s subtree: its first child, else the next
    sibling of it or of its nearest ancestor below ``top`` that has one. Comments, instructions and entity
    references count as ``iter()`` counts them (they are children and siblings, and have none of their own)."""
    if len(node):
        return node[0]
    while node is not top:
        after = node.getnext()
        if after is not None:
            return after
        parent = node.getparent()
        if parent is None:
            return None
        node = parent
    return None


def _search(payload: etree._Element, name: str) -> etree._Element | None:
    """lxml's search for the first element called ``name``, for a tree where it is not near the top."""
    return next(payload.iter("{*}" + name), None)


def _parse_datetime(text: str | None) -> date | None:
    """The day in Sweden that a frageTidpunkt names: the dates the rules judge by (a code valid "från och med
    den 16 december 2020", a version closed on 2020-10-31) are Swedish days, and a serializer that writes the
    instant in UTC (``2020-12-15T23:30:00Z``, already 00:30 on the 16th in Stockholm) or in any other offset
    names the same instant. A time without a zone is Swedish local time as written."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        when = _end_of_day(text.strip())
        if when is None:
            return None
    offset = when.utcoffset()
    if offset is None:
        return when.date()
    if offset in _SWEDISH_OFFSETS and 0 < when.hour < 23:
        # Sweden's own offset, an hour or more from midnight: the day is the one written, whichever of the
        # two offsets is in force (the full conversion below costs ~1.5 µs, this ~0.1 µs)
        return when.date()
    try:
        utc = when.replace(tzinfo=None) - offset
    except OverflowError:  # 0001-01-01T00:30+01:00 and the like: no UTC instant in Python's years
        return when.date()
    return swedish_day(utc)


def _end_of_day(text: str) -> datetime | None:
    """``2020-12-15T24:00:00``: XML Schema 1.0 (Part 2, 3.2.7) writes the first moment of the next day so too,
    which Python's datetime refuses; None for anything else it refuses."""
    found = _END_OF_DAY.fullmatch(text)
    if found is None:
        return None
    try:
        day = datetime.fromisoformat(found.group(1) + "T00:00:00" + found.group(2).replace("Z", "+00:00"))
        return day + timedelta(days=1)
    except (ValueError, OverflowError):
        return None


_END_OF_DAY = re.compile(r"(\d{4}-\d{2}-\d{2})T24:00:00(?:\.0+)?(Z|[+-]\d{2}:\d{2}|)")

#: Swedish normal time and summer time
_SWEDISH_OFFSETS = (timedelta(hours=1), timedelta(hours=2))


#: what :func:`capped` reads from a rule that found nothing (a rule may yield anything, even None)
_NOTHING = object()


def capped(findings: Iterable[Finding], most: int, rule: str, file: str) -> list[Finding]:
    """At most ``most`` findings from one rule, then one info saying there were more.

    The rule stops being pulled (a lazy rule does no more work): tens of thousands of findings
    would cost time in every reporter and tell a reader nothing the first thousand do not.
    A list, not a generator: this runs for every rule on every message, and most return nothing. That
    case is told by one ``next`` before any islice or list is built (~0.1 µs a rule, ~2 µs a message with every rule).
    """
    pulled = iter(findings)
    first = next(pulled, _NOTHING)
    if first is _NOTHING:
        return []
    taken = [first, *islice(pulled, most)]
    if len(taken) <= most:
        return taken
    taken[most] = Finding(
        rule,
        Severity.INFO,
        f"More {rule} findings not listed: only the first {most:,} per rule and message are reported.",
        file=file,
    )
    return taken


def validate_pair(
    request: Source,
    answer: Source,
    options: Options,
    packs: dict[int, Pack],
    http: tuple[HttpFacts | None, HttpFacts | None] = (None, None),
) -> RunResult:
    """Two messages given as request and answer: a verdict for each, and one for the exchange. ``http``: what
    HTTP said around each side, where it was seen (the proxy), judged as SSBT-HTTP."""
    options = today_fixed(options)
    result = judge_pair(request, answer, Exchanges(options, packs, validate_message), http)
    configure_run(result, options)  # the rule configuration, as in validate_sources
    return safe_run(result, options.show_values)
