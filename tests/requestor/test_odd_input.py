"""Issue 14: input PostgreSQL or JSON cannot hold (NUL characters, NaN, 1e999, lone surrogates)
is a 422 naming where it is — never a 500, a 503 "database unavailable", or SQL in an answer."""
import pytest

from tests.conftest import processor_of
from tests.requestor.test_api import SEED_INITIATE, SEED_PROPOSAL

pytestmark = pytest.mark.usefixtures("db_backend")
JSON = {"content-type": "application/json"}


@pytest.mark.parametrize("body, where", [
    ({**SEED_INITIATE, "Description": "a\u0000b"}, "Description"),
    ({**SEED_INITIATE, "Items": [{"name": "beam\u0000"}]}, "Items[0].name"),
])
async def test_a_nul_character_is_refused_by_name_on_the_requestor(requestor, body, where):
    response = await requestor.http.post("/api/v1/initiate", json=body)
    assert response.status_code == 422, response.text
    assert where in response.text and "NUL" in response.text and "SQL" not in response.text


@pytest.mark.parametrize("proposal, where", [
    ({"Note": "x\u0000y"}, "ProposalDictObj.Note"),
    ({"Extra\u0000": 1}, "ProposalDictObj.Extra\\\\u0000"),
    ({"Extra": {"deep": ["ok", "no\u0000"]}}, "ProposalDictObj.Extra.deep[1]"),
])
async def test_a_nul_character_is_refused_by_name_on_the_processor(requestor, processor, proposal, where):
    assert (await requestor.http.post("/api/v1/initiate", json=SEED_INITIATE)).status_code == 202
    body = {**SEED_PROPOSAL, "ProposalDictObj": {**SEED_PROPOSAL["ProposalDictObj"], **proposal}}
    response = await processor.http.post("/api/v1/proposal-submissions", json=body)
    assert response.status_code == 422, response.text
    assert where in response.text, response.text
    assert (await processor.http.get("/api/v1/orders/ORD%00")).status_code == 422


@pytest.mark.parametrize("raw", [b"1e999999", b'{"Reason": NaN}', b'{"Reason": Infinity}', b'{"Reason": "\\ud800"}',
                                 b'{"\\ud800": 1}'])
async def test_input_json_cannot_echo_back_is_still_a_422(requestor, processor, raw):
    assert (await requestor.http.post("/api/v1/initiate", json=SEED_INITIATE)).status_code == 202
    for running, method, url in ((requestor, "PUT", "/api/v1/pause/ORD-001"),
                                 (processor, "POST", "/api/v1/edit-lock")):
        response = await running.http.request(method, url, content=raw, headers=JSON)
        assert response.status_code == 422, (url, raw, response.text)
        assert response.json()["detail"]


async def test_an_unexpected_processor_failure_reaches_the_buyer_without_its_internals(requestor, processor,
                                                                                       monkeypatch):
    async def fails(*_args, **_kwargs):
        raise RuntimeError("[SQL: INSERT INTO orders ...] [parameters: ('ORD-001', 'SESSION-123')]")

    monkeypatch.setattr(processor_of(processor).orders, "initiate", fails)
    response = await requestor.http.post("/api/v1/initiate", json=SEED_INITIATE)
    assert response.status_code == 503, response.text
    assert response.json()["detail"]["reason"] == "processor call failed (INTERNAL)"
