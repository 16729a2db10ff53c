"""Issue 14: one event that cannot be serialised never ends a buyer's stream for later events."""
import pytest

from shared.models.events import EventType, OrderEvent
from tests.requestor.test_api import SEED_INITIATE, SEED_PROPOSAL, has_proposal, until

pytestmark = pytest.mark.usefixtures("db_backend")


async def test_an_unserialisable_event_is_announced_and_the_stream_goes_on(requestor, processor, monkeypatch):
    serialise = OrderEvent.model_dump_json

    def breaks_on_the_first_proposal(event: OrderEvent, **kwargs) -> str:
        if event.event_type is EventType.PROPOSAL_SUBMISSIONS and event.payload.proposal_id == "PROP-001":
            raise ValueError("cannot serialise this one")
        return serialise(event, **kwargs)

    monkeypatch.setattr(OrderEvent, "model_dump_json", breaks_on_the_first_proposal)
    assert (await requestor.http.post("/api/v1/initiate", json=SEED_INITIATE)).status_code == 202
    second = {**SEED_PROPOSAL, "Seller": "SELLER-002",
              "ProposalDictObj": {**SEED_PROPOSAL["ProposalDictObj"], "ProposalID": "PROP-002"}}
    for proposal in (SEED_PROPOSAL, second):
        assert (await processor.http.post("/api/v1/proposal-submissions", json=proposal)).status_code == 201
    await until(lambda: has_proposal(requestor, "PROP-002"))
    finalized = await requestor.http.put("/api/v1/finalize/ORD-001", json={"ProposalID": "PROP-002"})
    assert finalized.status_code == 200, finalized.text

    stream = await requestor.http.get("/api/v1/orders/ORD-001/events")  # ends after OrderFinalised
    assert stream.status_code == 200
    assert "this event could not be shown" in stream.text
    assert "PROP-002" in stream.text and "event: OrderFinalised" in stream.text
