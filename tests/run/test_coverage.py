"""Coverage observations: what each message exercised, read from the message itself."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ssbtek_validator import validate
from ssbtek_validator.reading.inputs import Source
from ssbtek_validator.reading.message import parse
from ssbtek_validator.run.coverage import observe

from ..conftest import CORPUS

AGENCIES = ("AF", "CSN", "FK", "SKV", "SO", "TNS", "MIV")
NS = "http://schema.forsakringskassan.se/integration/ssbt/10"


def envelope(body: str) -> bytes:
    return (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        f'xmlns:ssbt="{NS}"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>'
    ).encode()


def observed(data: bytes) -> list[str]:
    return observe(parse(Source("m.xml", data)), AGENCIES)


ERROR = "<ssbt:error><ssbt:kalla>BT</ssbt:kalla><ssbt:felkod>1</ssbt:felkod><ssbt:felmeddelande>x</ssbt:felmeddelande></ssbt:error>"  # noqa: E501
answer_states = st.dictionaries(st.sampled_from(AGENCIES), st.sampled_from(["data", "error"]))


@given(answer_states)
def test_an_answer_is_observed_agency_by_agency(states):
    blocks = "".join(
        f"<ssbt:{a}>{'<ssbt:data><x/></ssbt:data>' if states[a] == 'data' else ERROR}</ssbt:{a}>"
        for a in AGENCIES
        if a in states
    )
    data = envelope(f"<ssbt:hamtaBastjanstInformationResponse><ssbt:svarsdata>{blocks}</ssbt:svarsdata>"
                    "</ssbt:hamtaBastjanstInformationResponse>")  # fmt: skip
    assert sorted(observed(data)) == sorted(f"agency:{a}:{kind}" for a, kind in states.items())


@given(st.dictionaries(st.sampled_from(AGENCIES), st.booleans(), min_size=7))
def test_a_request_is_observed_by_inkludera(included):
    blocks = "".join(f'<ssbt:{a} inkludera="{str(included[a]).lower()}"/>' for a in AGENCIES)
    data = envelope(f"<ssbt:hamtaBastjanstInformation><ssbt:specifikaFrageparametrar>{blocks}"
                    "</ssbt:specifikaFrageparametrar></ssbt:hamtaBastjanstInformation>")  # fmt: skip
    assert observed(data) == [f"request:{a}:included" for a in AGENCIES if included[a]]


@given(st.dictionaries(st.sampled_from(AGENCIES), st.tuples(st.booleans(), st.booleans())))
def test_a_ping_answer_is_observed_by_anropad_and_error(states):
    blocks = "".join(
        f"<ssbt:{a}><ssbt:anropad>{str(called).lower()}</ssbt:anropad>{ERROR if failed else ''}</ssbt:{a}>"
        for a in AGENCIES
        if a in states
        for called, failed in [states[a]]
    )
    data = envelope(f"<ssbt:testaBastjanstInformationResponse>{blocks}</ssbt:testaBastjanstInformationResponse>")
    expected = []
    for agency, (called, failed) in states.items():
        expected.append(f"ping:{agency}:{'called' if called else 'not-called'}")
        if failed:
            expected.append(f"ping:{agency}:error")
    assert sorted(observed(data)) == sorted(expected)


def test_v11_skv_parts_count_as_data_and_error():
    [message] = validate(CORPUS / "v11" / "answer-skv-parts.xml").messages
    assert {"agency:SKV:data", "agency:SKV:error"} <= set(message.observed)


def test_the_engine_records_observations_and_faults_observe_nothing():
    [answer] = validate(CORPUS / "v10" / "answer-all-agencies-data.xml").messages
    assert sorted(k for k in answer.observed if k.startswith("agency:")) == sorted(f"agency:{a}:data" for a in AGENCIES)
    [fault] = validate(CORPUS / "v10" / "fault-ssbt.xml").messages
    assert fault.observed == []
