"""Issue 7, item 1 (sellers): a seller acts only as itself, on orders it was invited to."""
import pytest

from shared.auth import Role
from tests.auth.conftest import bearer

pytestmark = pytest.mark.usefixtures("db_backend")

BUYER_A = bearer(Role.BUYER, "SESSION-A")
SELLER_1, SELLER_2, OUTSIDER = (bearer(Role.SELLER, s) for s in ("SELLER-001", "SELLER-002", "SELLER-999"))


def proposal(seller: str, proposal_id: str, price: float = 1000.0) -> dict:
    return {"OrderReqID": "ORD-001", "Seller": seller,
            "ProposalDictObj": {"ProposalID": proposal_id, "Price": price, "DeliveryDate": "2025-11-01T00:00:00Z"}}


@pytest.fixture
async def open_order(secured_requestor, secured_processor):
    initiated = await secured_requestor.http.post(
        "/api/v1/initiate", headers=BUYER_A,
        json={"OrderReqId": "ORD-001", "SessionID": "SESSION-A", "Notification type": "GChat"})
    assert initiated.status_code == 202, initiated.text
    invited = {s["SellerID"] for s in initiated.json()["Sellers"]}
    assert {"SELLER-001", "SELLER-002"} <= invited and "SELLER-999" not in invited
    created = await secured_processor.http.post(
        "/api/v1/proposal-submissions", json=proposal("SELLER-001", "PROP-001"), headers=SELLER_1)
    assert created.status_code == 201, created.text
    return secured_processor.http


async def test_no_token_or_a_bad_one_is_401(open_order):
    http = open_order
    missing = await http.post("/api/v1/proposal-submissions", json=proposal("SELLER-001", "PROP-009"))
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == "Bearer"
    assert "Authorization: Bearer" in missing.json()["detail"]["reason"]
    forged = SELLER_1["Authorization"][:-4] + "AAAA"
    bad = await http.post("/api/v1/proposal-submissions", json=proposal("SELLER-001", "PROP-009"),
                          headers={"Authorization": forged})
    assert bad.status_code == 401 and "signature" in bad.json()["detail"]["reason"]
    buyer = await http.post("/api/v1/proposal-submissions", json=proposal("SELLER-001", "PROP-009"), headers=BUYER_A)
    assert buyer.status_code == 401 and "another service" in buyer.json()["detail"]["reason"]  # aud: the Requestor


async def test_a_seller_cannot_act_for_another(open_order):
    http = open_order
    as_other = await http.post("/api/v1/proposal-submissions", json=proposal("SELLER-001", "PROP-002"),
                               headers=SELLER_2)
    assert as_other.status_code == 403 and as_other.json()["detail"]["field"] == "Seller"
    # Its own name in the body, but another seller's proposal: update refused.
    takeover = await http.post("/api/v1/proposal-submissions", json=proposal("SELLER-002", "PROP-001", 1.0),
                               headers=SELLER_2)
    assert takeover.status_code == 403 and "another seller" in takeover.json()["detail"]["reason"]
    lock = {"OrderReqID": "ORD-001", "ProposalID": "PROP-001", "Action": "lock"}
    for body in ({**lock, "Seller": "SELLER-001"}, {**lock, "Seller": "SELLER-002"}):
        assert (await http.post("/api/v1/edit-lock", json=body, headers=SELLER_2)).status_code == 403
    note = {"OrderReqID": "ORD-001", "ProposalID": "PROP-001",
            "Message": {"content": {"URLs": [], "MessageType": "text", "Message": "mine now"}}}
    for body in ({**note, "Seller": "SELLER-001"}, {**note, "Seller": "SELLER-002"}):
        assert (await http.post("/api/v1/followup", json=body, headers=SELLER_2)).status_code == 403
    assert (await http.get("/api/v1/sellers/SELLER-001/proposals", headers=SELLER_2)).status_code == 403
    assert (await http.get("/api/v1/sellers/SELLER-001/invitations", headers=SELLER_2)).status_code == 403
    # The owner can do each of these.
    owner = {"Seller": "SELLER-001"}
    assert (await http.post("/api/v1/edit-lock", json={**lock, **owner}, headers=SELLER_1)).status_code == 200
    assert (await http.post("/api/v1/followup", json={**note, **owner}, headers=SELLER_1)).status_code == 201
    own = (await http.get("/api/v1/sellers/SELLER-001/proposals", headers=SELLER_1)).json()
    assert [p["ProposalID"] for p in own] == ["PROP-001"] and own[0]["ProposalDictObj"]["Price"] == 1000.0


async def test_a_seller_not_invited_cannot_propose_nor_read_the_order(open_order):
    http = open_order
    refused = await http.post("/api/v1/proposal-submissions", json=proposal("SELLER-999", "PROP-999"), headers=OUTSIDER)
    assert refused.status_code == 404 and refused.json()["detail"]["reason"] == "order ORD-001 not found"
    assert (await http.get("/api/v1/orders/ORD-001", headers=OUTSIDER)).status_code == 404
    assert (await http.get("/api/v1/orders/ORD-001", headers=SELLER_2)).json()["State"] == "Open"


# Issue 14, least knowledge: what a seller needs to quote, and its own invitation — no more.
QUOTE_VIEW = {"OrderReqID", "State", "ExpiresAt", "Details", "Rank", "DistanceKm", "DurationS", "Source"}


async def test_a_seller_reads_what_it_needs_to_quote_and_nothing_about_the_buyer_or_competitors(open_order):
    http = open_order
    for headers, seller_id in ((SELLER_1, "SELLER-001"), (SELLER_2, "SELLER-002")):
        response = await http.get("/api/v1/orders/ORD-001", headers=headers)
        assert response.status_code == 200, response.text
        view = response.json()
        assert set(view) == QUOTE_VIEW
        assert (view["OrderReqID"], view["State"], view["Details"]) == ("ORD-001", "Open", {})
        invitations = await http.get(f"/api/v1/sellers/{seller_id}/invitations", headers=headers)
        assert invitations.status_code == 200
        assert [view] == invitations.json()  # the same shape as its entry in its invitations
        for text in (response.text, invitations.text):
            assert "SESSION-A" not in text and "SessionID" not in text
            assert "SELLER-" not in text  # no competitor (nor a list of sellers at all)


async def test_an_uninvited_seller_cannot_tell_an_order_from_a_missing_one(open_order):
    http = open_order
    note = {"content": {"URLs": [], "MessageType": "text", "Message": "hello"}}
    probes = {
        "read": lambda order: http.get(f"/api/v1/orders/{order}", headers=OUTSIDER),
        "propose": lambda order: http.post(
            "/api/v1/proposal-submissions", json={**proposal("SELLER-999", "PROP-999"), "OrderReqID": order},
            headers=OUTSIDER),
        "edit-lock": lambda order: http.post(
            "/api/v1/edit-lock", json={"OrderReqID": order, "ProposalID": "PROP-001", "Seller": "SELLER-999"},
            headers=OUTSIDER),
        "follow up": lambda order: http.post(
            "/api/v1/followup", json={"OrderReqID": order, "Seller": "SELLER-999", "Message": note}, headers=OUTSIDER),
    }
    for name, probe in probes.items():
        foreign, missing = await probe("ORD-001"), await probe("ORD-404")
        assert foreign.status_code == missing.status_code == 404, (name, foreign.text)
        assert foreign.text.replace("ORD-001", "ORD-?") == missing.text.replace("ORD-404", "ORD-?"), name
        assert missing.json() == {"detail": {"reason": "order ORD-404 not found"}}, name
    # Acting as another seller on its own body stays 403, whether or not the order exists:
    # the check compares the token with the body and never looks the order up.
    for order in ("ORD-001", "ORD-404"):
        posing = await http.post("/api/v1/proposal-submissions",
                                 json={**proposal("SELLER-001", "PROP-998"), "OrderReqID": order}, headers=OUTSIDER)
        assert posing.status_code == 403 and posing.json()["detail"]["field"] == "Seller"
