"""The seller page (issue 17) in a real browser — Debian's Chromium driven by Playwright — against real
processes, the Processor's Chat webhooks pointed at a local server that answers as Google does: the
invitation card arrives, its button's URL opens the seller page; a proposal sent shows on the buyer's
page (another browser context) live, on the chart and in the table; edited under the edit lock (the
buyer's finalize refused meanwhile) and saved lower, the buyer sees it; the buyer's follow-up arrives
live and is answered; the order's end as the winner and as another seller hear it. And a page opened
without a link or with a bad one, and a session that ends."""
from __future__ import annotations

import json
import re
import time
from datetime import datetime

import httpx
import pytest

from devtools.service_process import ENDED_BY_ITSELF, launch_stack
from processor.app.config import DEMO_SELLERS_FILE
from processor.app.services.seller_links import SellerLinks
from shared.auth import Role, TokenSigner
from shared.config.settings import DEV_TOKEN_KEY_ID, DEV_TOKEN_SECRET
from tests.e2e.browser import DESKTOP, PHONE, chromium, screenshot, serious_violations

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("db_backend")]
# The development profile's token keys: what the Processor signs its links and sessions with.
SIGNER = TokenSigner({DEV_TOKEN_KEY_ID: DEV_TOKEN_SECRET})
DETAILS = {
    "Industry": "construction", "Location": {"lat": 40.7128, "lng": -74.006},
    "Description": "Steel beams for a warehouse roof", "ExpiryMinutes": 90, "MaxSellers": 3,
    "Items": [{"name": "IPE 200 beam", "quantity": 40, "unit": "pcs"},
              {"name": "M16 bolt", "quantity": 1200, "unit": "pcs"}],
}


@pytest.fixture
def seller_stack(request, make_db_url, tmp_path, kafka_broker, fake_google):
    """Both services as processes, the Processor with authentication on — so the page must carry its
    session's token, scoped to one seller and one order — and every demo seller's Chat webhook on the
    fake Google; the Requestor (its buyer API open, as in development) calling it with a service
    token. `indirect` parameters: more Processor settings."""
    sellers = json.loads(DEMO_SELLERS_FILE.read_text())
    for seller in sellers:
        seller["gchat_webhook"] = f"{fake_google.url}/v1/spaces/{seller['seller_id']}/messages?key=k&token=t"
    (tmp_path / "sellers.json").write_text(json.dumps(sellers))
    running = launch_stack(
        make_db_url("processor"), make_db_url("requestor"), kafka_broker.bootstrap, tmp_path,
        processor_env={"AUTH_ENABLED": "true", "SELLERS_FILE": str(tmp_path / "sellers.json"),
                       "GCHAT_MESSAGES_PER_SECOND": "50", **getattr(request, "param", {})},
        requestor_env={"PROCESSOR_AUTH_TOKEN": SIGNER.issue(Role.SERVICE, "requestor", ttl_seconds=3600)},
    )
    try:
        yield running
    finally:
        exit_codes = running.stop()
    assert set(exit_codes.values()) <= ENDED_BY_ITSELF, exit_codes


@pytest.fixture
def browser():
    with chromium() as launched:
        yield launched


def card_link(fake_google, seller: str, kind: str = "invitation") -> str:
    """The button's URL on the card of that kind that reached the seller's Chat space."""
    def found():
        for posted in fake_google.chat_requests():
            cards = (posted.body or {}).get("cardsV2") or []
            if f"/spaces/{seller}/" in posted.path and cards and cards[0]["cardId"].startswith(kind):
                return [b["onClick"]["openLink"]["url"] for section in cards[0]["card"]["sections"]
                        for w in section["widgets"] if "buttonList" in w for b in w["buttonList"]["buttons"]]
        return None
    (url,) = wait_for(found)
    return url


def link_for(stack, seller: str, order: str, *, now: float | None = None) -> str:
    """The link a Chat card for this seller and order carries (SELLER_PAGE_URL's development default)."""
    links = SellerLinks(SIGNER, page_url=f"{stack.processor_url}/seller/", link_hours=72, session_hours=8)
    url = links.link(seller, order, now=now)
    assert url is not None
    return url


def open_page(browser, viewport: dict, console: list[str]):
    page = browser.new_context(viewport=viewport).new_page()
    page.on("console", lambda message: console.append(message.text))
    return page


def initiate(requestor: httpx.Client, order: str) -> dict:
    answer = requestor.post("/api/v1/initiate", json={
        "OrderReqId": order, "SessionID": "SESSION-SELLER-PAGE", "Notification type": "GChat", **DETAILS})
    assert answer.status_code == 202, answer.text
    return wait_for(lambda: (v := requestor.get(f"/api/v1/orders/{order}").json())["State"] == "Open" and v)


def wait_for(probe, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while not (found := probe()):
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.1)
    return found


def session_token(page) -> str:
    stored = page.evaluate("""() => Object.keys(sessionStorage).filter((k) => k.includes(":session:"))
                                .map((k) => JSON.parse(sessionStorage.getItem(k)).Token)""")
    assert len(stored) == 1
    return stored[0]


def test_a_seller_quotes_edits_talks_and_hears_the_outcome(seller_stack, browser, fake_google, db_backend):
    from playwright.sync_api import expect

    order = f"ORD-SELLER-PAGE-{db_backend}"
    requestor = httpx.Client(base_url=seller_stack.requestor_url, timeout=10)
    processor = httpx.Client(base_url=seller_stack.processor_url, timeout=10)
    invited = initiate(requestor, order)["Sellers"]
    winner, other = invited[0], invited[1]
    proposal = f"{order}-{winner['SellerID']}"
    console: list[str] = []

    # The invitation card reached the seller's space; its button opens the page. The link is traded
    # for a session and gone from the address bar.
    link = card_link(fake_google, winner["SellerID"])
    assert link.startswith(f"{seller_stack.processor_url}/seller/#link=")
    buyer = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="UTC").new_page()  # its own context
    buyer.on("console", lambda message: console.append(message.text))
    buyer.goto(f"{seller_stack.requestor_url}/#/orders/{order}")
    expect(buyer.locator("#order-state")).to_have_text("Open")
    page = open_page(browser, DESKTOP, console)
    page.goto(link)
    expect(page.locator("#live")).to_have_text("Live")
    assert page.url == f"{seller_stack.processor_url}/seller/"
    expect(page.locator("#order-id")).to_have_text(order)
    expect(page.locator("#order-state")).to_have_text("Open for proposals")
    expect(page.locator("#items tbody tr")).to_have_count(2)
    expect(page.locator("#items tbody tr").first.locator("td")).to_have_text(["IPE 200 beam", "40", "pcs"])
    expect(page.locator("#items tbody tr").nth(1).locator("td")).to_have_text(["M16 bolt", "1,200", "pcs"])
    details = page.locator("#order-details")
    expect(details).to_contain_text(f"{winner['DistanceKm']:.1f} km from the buyer")
    expect(details).to_contain_text(re.compile(r"\(expires in 1 h (29|30) min\)"))
    shown = datetime.fromisoformat(page.locator("#order-details time").get_attribute("datetime"))
    assert shown == datetime.fromisoformat(requestor.get(f"/api/v1/orders/{order}").json()["ExpiresAt"])
    own = {"Authorization": f"Bearer {session_token(page)}"}

    # A proposal: the id offered, a price, a delivery date, a note (a key of its own in ProposalDictObj).
    expect(page.locator("input[name=ProposalID]")).to_have_value(proposal)
    page.fill("input[name=Price]", "1200")
    page.fill("input[name=DeliveryDate]", "2026-12-20")
    page.fill("textarea[name=Note]", "Delivered by truck, unloaded by crane")
    page.click("#save")
    expect(page.locator("#notice")).to_have_text("Proposal sent: 1,200.00.")
    expect(page.locator(".proposal .price")).to_have_text("1,200.00")
    expect(page.locator("#history li").last).to_contain_text("You sent 1,200.00, delivery 20 Dec 2026")
    # The buyer sees it arrive, live: a point on the chart, a row in the table.
    expect(buyer.locator("#chart-points .hit")).to_have_count(1)
    expect(buyer.locator(f"#proposals tr[data-proposal='{proposal}']")).to_contain_text("1,200")
    seen = wait_for(lambda: requestor.get(f"/api/v1/orders/{order}").json()["Proposals"])
    assert seen[0]["ProposalDictObj"] == {"ProposalID": proposal, "Price": 1200.0,
                                          "DeliveryDate": "2026-12-20T00:00:00Z",
                                          "Note": "Delivered by truck, unloaded by crane"}

    # Edited under the edit lock: Edit takes it, saving sends its LockToken and then releases it.
    page.click("button.edit")
    expect(page.locator("#lock-note")).to_contain_text("The proposal is locked for you until")
    expect(page.locator("input[name=ProposalID]")).to_have_attribute("readonly", "")
    expect(page.locator("input[name=Price]")).to_be_focused()
    view = processor.get(f"/api/v1/orders/{order}/sellers/{winner['SellerID']}", headers=own).json()
    assert view["Proposals"][0]["State"] == "Locked"
    assert serious_violations(page) == []
    buyer.click(f"#proposals tr[data-proposal='{proposal}'] button.finalize")  # refused while the seller edits
    expect(buyer.locator("#message")).to_contain_text(f"Refused: proposal {proposal} is edit-locked")
    page.fill("input[name=Price]", "1100")
    page.click("#save")
    expect(page.locator("#notice")).to_have_text("Saved: your proposal is now 1,100.00, revision 2.")
    expect(page.locator("#history li").filter(has_text="You updated")).to_have_text(
        re.compile(r"You updated your price to 1,100\.00$"))
    expect(page.locator("#history li").last).to_contain_text("You finished editing")
    view = processor.get(f"/api/v1/orders/{order}/sellers/{winner['SellerID']}", headers=own).json()
    assert view["Proposals"][0]["State"] == "Submitted" and view["Proposals"][0]["Revision"] == 2
    assert view["Proposals"][0]["ProposalDictObj"]["Note"] == "Delivered by truck, unloaded by crane"
    expect(buyer.locator(f"#proposals tr[data-proposal='{proposal}']")).to_contain_text("1,100")

    # A reload keeps the session (this tab's sessionStorage); the link is not needed again.
    page.reload()
    expect(page.locator("#live")).to_have_text("Live")
    expect(page.locator(".proposal .price")).to_have_text("1,100.00")

    # The buyer follows up: it arrives live, is read out, and is answered.
    buyer.check(f"#proposals tr[data-proposal='{proposal}'] input[name=audience]")
    buyer.fill("#followup-form input[name=Message]", "Can you deliver by the 18th?")
    buyer.click("#followup-form button")
    expect(buyer.locator("#message")).to_have_text(f"Sent to {proposal}")
    asked = card_link(fake_google, winner["SellerID"], "buyer_follow_up")  # its card, with the page's button too
    assert asked.startswith(f"{seller_stack.processor_url}/seller/#link=")
    expect(page.locator("#messages li.buyer")).to_contain_text("Can you deliver by the 18th?")
    expect(page.locator("#announcer")).to_have_text("New message from the buyer: Can you deliver by the 18th?")
    page.fill("#reply-form textarea[name=Message]", "Yes, by the 18th at the latest.")
    page.click("#send-reply")
    expect(page.locator("#notice")).to_have_text("Message sent to the buyer.")
    expect(page.locator("#messages li.mine")).to_contain_text("Yes, by the 18th at the latest.")
    wait_for(lambda: any(f["Message"]["Message"] == "Yes, by the 18th at the latest."
                         for f in requestor.get(f"/api/v1/orders/{order}").json()["FollowUps"]))

    # Another seller, on a phone, in a browser context of its own.
    phone = open_page(browser, PHONE, console)
    phone.goto(card_link(fake_google, other["SellerID"]))
    expect(phone.locator("#live")).to_have_text("Live")
    phone.fill("input[name=Price]", "1300")
    phone.fill("input[name=DeliveryDate]", "2026-12-16")
    phone.click("#save")
    expect(phone.locator("#notice")).to_have_text("Proposal sent: 1,300.00.")
    assert serious_violations(phone) == []
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.evaluate("window.scrollTo(0, 0)")
    screenshot(phone, "seller-page-phone.png")
    assert serious_violations(page) == []

    # The buyer awards the order: the winner hears it was accepted, the other seller that it was closed.
    buyer.click(f"#proposals tr[data-proposal='{proposal}'] button.finalize")
    expect(buyer.locator("#order-state")).to_have_text("Finalised")
    expect(page.locator("#outcome")).to_have_text("Your proposal was accepted.")
    expect(page.locator("#live")).to_have_text("Updates closed: the order has ended")
    expect(page.locator(".proposal dl")).to_contain_text("Accepted by the buyer")
    expect(page.locator("#proposal-form")).to_be_hidden()
    expect(phone.locator("#outcome")).to_have_text("The buyer chose another proposal: yours was closed.")
    expect(phone.locator(".proposal dl")).to_contain_text("Closed")
    expect(phone.locator("#live")).to_have_text("Updates closed: the order has ended")
    assert serious_violations(phone) == [] and serious_violations(page) == []
    screenshot(page, "seller-page.png", full_page=True)

    # Both pages ran within their Content-Security-Policy: nothing was refused.
    assert not [line for line in console if "Content Security Policy" in line or "Refused to" in line]
    # Neither the link nor the session's token was ever written to the console.
    secrets = [link.split("#link=", 1)[1], own["Authorization"].split(" ", 1)[1], session_token(phone)]
    assert not [line for line in console if any(secret in line for secret in secrets)]


@pytest.mark.parametrize("seller_stack", [{"SELLER_SESSION_HOURS": "0.005"}], indirect=True)  # 18 s
def test_no_link_a_bad_link_a_refusal_and_a_session_that_ends(seller_stack, browser, db_backend):
    from playwright.sync_api import expect

    order = f"ORD-SELLER-GATE-{db_backend}"
    seller = initiate(httpx.Client(base_url=seller_stack.requestor_url, timeout=10), order)["Sellers"][0]["SellerID"]
    page = open_page(browser, PHONE, [])
    gate = page.locator("#gate-text")

    page.goto(f"{seller_stack.processor_url}/seller/")
    expect(gate).to_have_text("Open this page from the link in your Google Chat notice.")
    assert serious_violations(page) == []

    page.goto(link_for(seller_stack, seller, order, now=time.time() - 73 * 3600))
    expect(gate).to_have_text("This link has expired — ask for a new notice.")
    assert "link=" not in page.url

    good = link_for(seller_stack, seller, order)
    page.goto(good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"))
    expect(gate).to_contain_text("This link cannot be used: it is incomplete or was altered.")

    # A refusal names its field, in words, in the alert region; the field is marked and focused.
    page.goto(good)
    expect(page.locator("#live")).to_have_text("Live")
    page.fill("input[name=Price]", "0")
    page.click("#save")
    expect(page.locator("#message[role=alert]")).to_have_text("Price: input should be greater than 0.")
    expect(page.locator("input[name=Price]")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("input[name=Price]")).to_be_focused()

    # The session lapses: the event stream says so (CredentialExpired) and the page says what to do.
    expect(gate).to_have_text(
        "Your session has ended. Open this page again from the link in your Google Chat notice.", timeout=40_000)
    expect(page.locator("#gate-heading")).to_be_focused()
    page.reload()
    expect(gate).to_have_text("Open this page from the link in your Google Chat notice.")
