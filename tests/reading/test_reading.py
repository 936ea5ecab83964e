"""Reading and locating the payload: every input becomes a result, never a traceback."""

from __future__ import annotations

import functools
import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from ssbtek_validator import validate
from ssbtek_validator.reading import inputs
from ssbtek_validator.reading.inputs import (
    RegularFile,
    Skipped,
    Source,
    iter_sources,
    iter_targets,
    read_file,
    read_in_turns,
    read_limited,
)
from ssbtek_validator.reading.limits import Limits
from ssbtek_validator.reading.message import boolean, parse

ENVELOPE = (
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:ns="http://schema.forsakringskassan.se/integration/ssbt/{n}"><soapenv:Header/>'
    "<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
)


def _msg(body: str, n: int = 10) -> bytes:
    return ENVELOPE.format(n=n, body=body).encode()


@pytest.mark.parametrize(
    ("body", "operation", "direction"),
    [
        ("<ns:hamtaBastjanstInformation/>", "hamtaBastjanstInformation", "request"),
        ("<ns:hamtaBastjanstInformationResponse/>", "hamtaBastjanstInformation", "answer"),
        ("<ns:hamtaBastjanstInformationFault/>", "hamtaBastjanstInformation", "fault"),
        ("<ns:testaBastjanstInformation/>", "testaBastjanstInformation", "request"),
        ("<ns:testaBastjanstInformationResponse/>", "testaBastjanstInformation", "answer"),
    ],
)
def test_operation_and_direction_from_body_child(body, operation, direction):
    message = parse(Source("m.xml", _msg(body)))
    assert (message.operation, message.direction) == (operation, direction)
    assert message.enveloped


def test_soap_fault_with_ssbtek_detail_routes_to_the_detail():
    body = (
        "<soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>x</faultstring>"
        "<detail><ns:hamtaBastjanstInformationFault><ns:felkod>1</ns:felkod>"
        "<ns:felmeddelande>m</ns:felmeddelande></ns:hamtaBastjanstInformationFault></detail></soapenv:Fault>"
    )
    message = parse(Source("f.xml", _msg(body)))
    assert message.direction == "fault"
    assert message.operation == "hamtaBastjanstInformation"
    assert message.payload is not None


def test_not_well_formed_has_line_and_column():
    message = parse(Source("bad.xml", b"<a>\n  <b>\n</a>"))
    [finding] = message.findings
    assert finding.rule == "SSBT-WELLFORMED"
    assert finding.line == 3
    assert finding.column is not None


def test_doctype_is_a_finding_and_entities_are_not_expanded():
    body = "<ns:testaBastjanstInformation>&x;</ns:testaBastjanstInformation>"
    raw = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "SECRET">]>' + _msg(body)
    message = parse(Source("dtd.xml", raw))
    assert [f.rule for f in message.findings] == ["SSBT-DTD"]
    assert message.payload is None  # not checked further
    assert all("SECRET" not in node.text for node in message.root.iter() if node.text)


def test_unknown_version_names_namespace_and_known_versions():
    result = validate(_msg("<ns:hamtaBastjanstInformation/>", n=99))
    [message] = result.messages
    [finding] = [f for f in message.findings if f.rule == "SSBT-VERSION"]
    assert "ssbt/99" in finding.message
    assert "v10" in finding.message and "v11" in finding.message
    assert result.exit_code == 1


def test_size_limit_makes_the_message_incomplete(tmp_path):
    big = tmp_path / "big.xml"
    big.write_bytes(_msg("<ns:testaBastjanstInformation/>") + b" " * 2000)
    [source] = iter_sources([big], Limits(max_message_bytes=1000))
    assert source.data is None and source.problem_kind == "limit"
    message = parse(source)
    assert [f.rule for f in message.findings] == ["SSBT-LIMIT"]


class _Trickle(io.RawIOBase):
    """A pipe that hands over a few bytes per read, as stdin from a slow producer does."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.step = data, step

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        step = min(self.step, len(buffer))
        piece, self.data = self.data[:step], self.data[step:]
        buffer[: len(piece)] = piece
        return len(piece)


#: sizes and limits around the 64 kB reading piece, and anywhere up to a few pieces
_SIZES = st.sampled_from([0, 1, 65535, 65536, 65537, 200_000]) | st.integers(0, 300_000)
_LIMITS = st.sampled_from([1, 65536, 131_072, 16 * 1024 * 1024]) | st.integers(1, 300_000)


def _content(size: int) -> bytes:
    return bytes(i % 251 for i in range(size))


def _read_whole_or_refused(source: Source, data: bytes, limit: int) -> None:
    """Every byte up to the limit, in order; one byte more is the size finding."""
    if len(data) <= limit:
        assert source.data == data and source.problem is None
    else:
        assert source.data is None and source.problem_kind == "limit"


@given(size=_SIZES, limit=_LIMITS, step=st.sampled_from([None, 1, 4096, 70_000]))
def test_read_limited_reads_all_up_to_the_limit_and_refuses_beyond(size, limit, step):
    """Read in pieces (a message is not given the whole limit's buffer), from a file or a pipe that trickles."""
    data = _content(size)
    stream = io.BytesIO(data) if step is None else io.BufferedReader(_Trickle(data, step))
    _read_whole_or_refused(read_limited(stream, "m.xml", Limits(max_message_bytes=limit)), data, limit)


@settings(max_examples=60)
@given(size=_SIZES, limit=_LIMITS)
def test_read_file_reads_all_up_to_the_limit_and_refuses_beyond(tmp_path_factory, size, limit):
    """The same contract from a file on disk (read by descriptor, sized by fstat), so a short first
    read cannot lose a file's tail nor let one past the limit."""
    path = tmp_path_factory.mktemp("read") / "m.xml"
    data = _content(size)
    path.write_bytes(data)
    _read_whole_or_refused(read_file(path, Limits(max_message_bytes=limit)), data, limit)


def test_a_file_is_read_in_one_read_and_one_that_grew_since_fstat_is_read_whole(tmp_path, monkeypatch):
    """The common case costs one os.read and no reading loop; when fstat said less than the file holds (it grew
    in between), the file is read again from its start rather than cut at the size fstat said."""
    from ssbtek_validator.reading import inputs

    path = tmp_path / "m.xml"
    data = _content(5000)
    path.write_bytes(data)
    reads, loops = [], []
    real_read, real_loop = os.read, inputs._read_up_to
    monkeypatch.setattr(inputs.os, "read", lambda fd, size: reads.append(size) or real_read(fd, size))
    monkeypatch.setattr(inputs, "_read_up_to", lambda *args: loops.append(args) or real_loop(*args))
    assert read_file(path).data == data and reads == [5001] and not loops
    real_fstat = os.fstat
    monkeypatch.setattr(inputs.os, "fstat", lambda fd: os.stat_result((*real_fstat(fd)[:6], 100, *real_fstat(fd)[7:])))
    reads.clear()
    assert read_file(path).data == data and reads[0] == 101 and len(reads) > 1 and loops


@settings(max_examples=60)
@given(size=_SIZES, limit=_LIMITS)
def test_a_walked_file_is_read_as_a_named_one_is(tmp_path_factory, size, limit):
    """A file a folder's walk found regular is read without fstat: the same bytes or the same refusal as the
    same file named, around the first piece's size and the limit, past both."""
    path = tmp_path_factory.mktemp("walked") / "m.xml"
    data = _content(size)
    path.write_bytes(data)
    limits = Limits(max_message_bytes=limit)
    walked = read_file(RegularFile(str(path)), limits)
    _read_whole_or_refused(walked, data, limit)
    assert walked == read_file(str(path), limits) and type(walked.name) is str


def test_a_walked_file_is_read_without_fstat_and_a_named_one_is_sized_by_it(tmp_path, monkeypatch):
    """The walk's files are RegularFile, read in one os.read without fstat; a file named on the command line may
    be a pipe, and is sized by fstat as before."""
    from ssbtek_validator.reading import inputs

    (tmp_path / "a.xml").write_bytes(_content(5000))
    [target] = iter_targets([tmp_path])
    assert isinstance(target, RegularFile)
    stats, reads = [], []
    real_fstat, real_read = os.fstat, os.read
    monkeypatch.setattr(inputs.os, "fstat", lambda fd: stats.append(fd) or real_fstat(fd))
    monkeypatch.setattr(inputs.os, "read", lambda fd, size: reads.append(size) or real_read(fd, size))
    assert [s.data for s in iter_sources([tmp_path])] == [_content(5000)]
    assert not stats and len(reads) == 1
    assert read_file(str(tmp_path / "a.xml")).data == _content(5000) and len(stats) == 1


_TARGET_KINDS = st.sampled_from(["small", "large", "empty", "missing", "source", "skipped"])


@settings(max_examples=40)
@given(
    kinds=st.lists(_TARGET_KINDS, max_size=12), ahead=st.integers(1, 5), ahead_bytes=st.sampled_from([1, 5000, 1 << 20])
)
def test_inputs_read_in_turns_are_the_inputs_read_one_at_a_time(tmp_path_factory, kinds, ahead, ahead_bytes):
    """Whatever the turns (files, a file past the bytes bound, missing files, inputs already read, a walk's
    note), every input comes in order, each file read as read_file reads it alone."""
    folder = tmp_path_factory.mktemp("turns")
    sizes = {"small": 300, "large": 70_000, "empty": 0}
    targets: list = []
    for index, kind in enumerate(kinds):
        path = folder / f"{index}.xml"
        if kind in sizes:
            path.write_bytes(_content(sizes[kind]))
            targets.append(RegularFile(str(path)) if index % 2 else str(path))
        elif kind == "missing":
            targets.append(str(path))
        elif kind == "source":
            targets.append(Source(str(path), b"<a/>"))
        else:
            targets.append(Skipped(str(folder), (".hidden",)))
    one_at_a_time = [read_file(target) if isinstance(target, str) else target for target in targets]
    bounds = (inputs.READ_AHEAD, inputs.READ_AHEAD_BYTES)
    inputs.READ_AHEAD, inputs.READ_AHEAD_BYTES = ahead, ahead_bytes
    try:
        assert list(read_in_turns(targets, Limits())) == one_at_a_time
    finally:
        inputs.READ_AHEAD, inputs.READ_AHEAD_BYTES = bounds


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_read_file_reads_a_named_pipe_named_on_the_command_line(tmp_path):
    """fstat says 0 bytes for a pipe: the size is a hint, reading goes on until the writer closes."""
    import threading

    fifo = tmp_path / "pipe.xml"
    os.mkfifo(fifo)
    data = b"<a>" + b"x" * 200_000 + b"</a>"

    def write() -> None:
        with open(fifo, "wb") as writer:
            writer.write(data)

    writer = threading.Thread(target=write)
    writer.start()
    source = read_file(fifo)
    writer.join()
    assert source.data == data


def test_missing_path_and_unreadable_file_still_appear(tmp_path):
    locked = tmp_path / "locked.xml"
    locked.write_bytes(b"<a/>")
    locked.chmod(0)
    sources = list(iter_sources([tmp_path / "nope.xml", locked]))
    assert [s.name for s in sources] == [str(tmp_path / "nope.xml"), str(locked)]
    assert sources[0].problem_kind == "read"
    if os.geteuid() != 0:  # root reads anything
        assert sources[1].problem_kind == "read"


def test_directory_walk_is_recursive_sorted_and_survives_symlink_loops(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a.xml").write_bytes(b"<a/>")
    (tmp_path / "b" / "c.xml").write_bytes(b"<c/>")
    (tmp_path / "b" / "loop").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "notes.md").write_text("not a message")
    names = [s.name for s in iter_sources([tmp_path])]
    assert names == [str(tmp_path / "a.xml"), str(tmp_path / "b" / "c.xml")]


def test_empty_folder_is_reported_not_dropped(tmp_path):
    [source] = list(iter_sources([tmp_path]))
    assert source.data is None and "no files" in source.problem


@given(st.binary(max_size=400))
def test_any_bytes_give_a_result_not_an_exception(data):
    result = validate(data)
    [message] = result.messages
    assert result.exit_code in (0, 1, 3)
    assert message.verdict is not None


@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_any_text_inside_a_payload_gives_a_result(text):
    from xml.sax.saxutils import escape

    result = validate(_msg(f"<ns:hamtaBastjanstInformation>{escape(text)}</ns:hamtaBastjanstInformation>"))
    assert result.exit_code == 1  # the request content is missing, whatever the text


@functools.cache
def _boolean_schema() -> etree.XMLSchema:
    return etree.XMLSchema(
        etree.fromstring(
            b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
            b'<xs:element name="b" type="xs:boolean"/></xs:schema>'
        )
    )


def _schema_reads_boolean(text: str) -> bool:
    """Whether libxml2's xs:boolean (whiteSpace collapse) accepts ``text``: the reference the rules' reading follows."""
    element = etree.Element("b")
    element.text = text
    return _boolean_schema().validate(etree.ElementTree(element))


@given(
    st.sampled_from(["true", "false", "1", "0", "TRUE", "yes", ""]),
    st.text(alphabet=" \t\r\n\u00a0\u2003\u3000\x85", max_size=3),
    st.text(alphabet=" \t\r\n\u00a0\u2003\u3000\x85", max_size=3),
)
def test_rules_read_a_boolean_exactly_when_the_schema_does(word: str, before: str, after: str) -> None:
    """A no-break space or another Unicode space around ``false`` makes it no xs:boolean for the schema; the
    rules must not read it as false (str.strip would) while SSBT-XSD calls it invalid."""
    text = before + word + after
    assert (boolean(text) is not None) == _schema_reads_boolean(text)


_name_text = st.text(st.sampled_from("ax.XMLsoap*?[]\n-_é"), max_size=12)
_globs = st.lists(
    st.sampled_from(["*.xml", "*.XML", "*.soap", "*.msg", "*", "*.har", "x*", "*.x?l", "*[.]xml"]), max_size=4
)


@given(_globs | st.lists(_name_text.map(lambda t: "*" + t), max_size=3), _name_text)
def test_a_folder_s_names_match_the_include_patterns_as_fnmatch_reads_them(include, name):
    """The ``*.xml``-style patterns are asked with str.endswith: the same answers as fnmatch's regex."""
    import fnmatch
    import re

    from ssbtek_validator.reading.inputs import matcher

    plain = re.compile("|".join(fnmatch.translate(glob) for glob in include))
    assert matcher(tuple(include))(name) is (plain.match(name) is not None)


def test_a_walk_asks_the_patterns_once_per_entry(tmp_path):
    from ssbtek_validator.reading.inputs import DEFAULT_INCLUDE, matcher, walk

    for name in ("a.xml", "b.txt", "c.soap"):
        (tmp_path / name).write_bytes(b"<x/>")
    asked: list[str] = []
    matches = matcher(DEFAULT_INCLUDE)
    found = list(walk(str(tmp_path), lambda name: asked.append(name) or matches(name)))
    assert found == [str(tmp_path / "a.xml"), str(tmp_path / "c.soap")]
    assert sorted(asked) == ["a.xml", "b.txt", "c.soap"]


def test_the_default_patterns_are_asked_without_a_regex(monkeypatch):
    from ssbtek_validator.reading import inputs

    def no_regex(glob):
        raise AssertionError(f"a regex was built for {glob}")

    monkeypatch.setattr(inputs.fnmatch, "translate", no_regex)
    matches = inputs.matcher(inputs.DEFAULT_INCLUDE)
    assert matches("a.xml") and matches("b.har") and not matches("c.xml.bak")
