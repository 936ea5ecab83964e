"""The shortcuts of the bare read-parse-detect path keep doing their job, and give what the long way gives.

Speed itself is measured by benchmarks/bench_throughput.py; these tests count the work a message costs
(with spies) and compare each shortcut with a plain definition of what it answers.
"""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from ssbtek_validator.reading import message as reading

from ..conftest import CORPUS

ANSWER = (CORPUS / "v10" / "answer-all-agencies-data.xml").read_bytes()

#: the plain definition: a "<?" whose target is not the reserved xml (a declaration)
_PI = re.compile(rb"<\?(?!xml )")


class _FindSpy(bytes):
    """Bytes that record what is looked for in them."""

    needles: list[bytes]

    def find(self, needle, *args):  # type: ignore[override]
        self.needles.append(needle)
        return super().find(needle, *args)


def test_the_instruction_pre_check_looks_for_question_marks_not_for_every_angle_bracket():
    """Finding "<?" stops at every "<" of a message (~6 µs for 5 kB); a message holds few "?", found by memchr."""
    spy = _FindSpy(ANSWER)
    spy.needles = []
    assert reading._may_hold_pi(spy, True) is False
    assert spy.needles and set(spy.needles) == {b"?"}
    assert len(spy.needles) <= ANSWER.count(b"?") + 1


pieces = st.sampled_from([b"<", b"?", b"<?", b"<?xml ", b"<?xml", b"xml ", b"a", b">", b"?>", b" "])


@given(st.lists(pieces, max_size=60).map(b"".join))
def test_the_instruction_pre_check_says_what_the_plain_definition_says(data: bytes):
    """Few or many "?" (past _FEW_QUESTION_MARKS the two-byte walk answers): the same answer either way."""
    assert reading._may_hold_pi(data, True) is (_PI.search(data) is not None)
    marks = b"?" * (reading._FEW_QUESTION_MARKS + 1)
    for many in (data + marks, marks + data, marks[:-2] + b"<" + data):
        assert reading._may_hold_pi(many, True) is (_PI.search(many) is not None)
