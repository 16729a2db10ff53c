"""The seed's bodies are accepted verbatim; bad input names the field."""
import pytest
from pydantic import ValidationError

from processor.app.schemas.proposals import ProposalSubmission
from requestor.app.schemas.requests import BuyerFollowUp, InitiateRequest

SEED_INITIATE = {"OrderReqId": "ORD-001", "SessionID": "SESSION-123", "Notification type": "GChat"}
SEED_PROPOSAL = {
    "OrderReqID": "ORD-001",
    "Seller": "SELLER-001",
    "ProposalDictObj": {"ProposalID": "PROP-001", "Price": 1000.0, "DeliveryDate": "2025-11-01T00:00:00Z"},
}
SEED_FOLLOWUP = {
    "OrderReqID": "ORD-001",
    "Audience": ["PROP-001"],
    "Message": {"content": {"URLs": [], "MessageType": "text", "Message": "Please clarify delivery terms"}},
}


def _fields(exc: ValidationError) -> set[str]:
    return {".".join(map(str, e["loc"])) for e in exc.errors()}


def test_seed_initiate_body_with_spaced_key():
    request = InitiateRequest.model_validate(SEED_INITIATE)
    assert (request.order_req_id, request.session_id, request.notification_type) == ("ORD-001", "SESSION-123", "GChat")
    assert request.details().is_empty()


def test_initiate_accepts_both_spellings_of_the_order_id():
    body = {**SEED_INITIATE}
    body["OrderReqID"] = body.pop("OrderReqId")
    assert InitiateRequest.model_validate(body).order_req_id == "ORD-001"


def test_initiate_details_are_optional_extras():
    request = InitiateRequest.model_validate(
        {**SEED_INITIATE, "Industry": "food", "Location": {"lat": 41.8, "lng": -87.6}, "MaxSellers": 3}
    )
    details = request.details()
    assert (details.industry, details.location.lat, details.max_sellers) == ("food", 41.8, 3)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"OrderReqId": "ORD 001"}, "OrderReqId"),
        ({"SessionID": ""}, "SessionID"),
        ({"Notification type": "Pigeon"}, "Notification type"),
        ({"Location": {"lat": 91, "lng": 0}}, "Location.lat"),
        ({"Unknown": 1}, "Unknown"),
    ],
)
def test_initiate_refusals_name_the_field(change, field):
    with pytest.raises(ValidationError) as info:
        InitiateRequest.model_validate({**SEED_INITIATE, **change})
    assert field in _fields(info.value)


def test_seed_proposal_keeps_extra_fields_as_given():
    body = {**SEED_PROPOSAL,
            "ProposalDictObj": {**SEED_PROPOSAL["ProposalDictObj"], "Warranty": {"years": 2}, "Qty": 5}}
    stored = ProposalSubmission.model_validate(body).proposal.as_stored()
    assert stored == {
        "ProposalID": "PROP-001", "Price": 1000.0, "DeliveryDate": "2025-11-01T00:00:00Z",
        "Warranty": {"years": 2}, "Qty": 5,
    }


@pytest.mark.parametrize("price", [0, -5, "cheap", 10.12345, 1e12])
def test_proposal_price_must_be_positive_with_bounded_precision(price):
    body = {**SEED_PROPOSAL, "ProposalDictObj": {"ProposalID": "PROP-001", "Price": price}}
    with pytest.raises(ValidationError) as info:
        ProposalSubmission.model_validate(body)
    assert "ProposalDictObj.Price" in _fields(info.value)


@pytest.mark.parametrize("date", [1730419200, "1730419200", "01/11/2025", "2025-13-01T00:00:00Z", True])
def test_delivery_dates_are_parsed_strictly(date):
    body = {**SEED_PROPOSAL, "ProposalDictObj": {"ProposalID": "PROP-001", "DeliveryDate": date}}
    with pytest.raises(ValidationError) as info:
        ProposalSubmission.model_validate(body)
    assert "ProposalDictObj.DeliveryDate" in _fields(info.value) and "ISO 8601" in str(info.value)


def test_delivery_dates_in_iso_8601_are_kept_in_utc():
    for date in ("2025-11-01T00:00:00Z", "2025-11-01T01:00:00+01:00", "2025-11-01"):
        body = {**SEED_PROPOSAL, "ProposalDictObj": {"ProposalID": "PROP-001", "DeliveryDate": date, "Price": 10.1234}}
        assert ProposalSubmission.model_validate(body).proposal.delivery_date.isoformat() == "2025-11-01T00:00:00+00:00"


def test_seed_followup_body():
    followup = BuyerFollowUp.model_validate(SEED_FOLLOWUP)
    assert followup.audience == ["PROP-001"]
    assert followup.message.content.message == "Please clarify delivery terms"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"Audience": []}, "Audience"),
        ({"Message": {"content": {"URLs": ["ftp://x"], "Message": "hi"}}}, "Message.content.URLs.0"),
        ({"Message": {"content": {"Message": ""}}}, "Message.content.Message"),
    ],
)
def test_followup_refusals_name_the_field(change, field):
    with pytest.raises(ValidationError) as info:
        BuyerFollowUp.model_validate({**SEED_FOLLOWUP, **change})
    assert field in _fields(info.value)
