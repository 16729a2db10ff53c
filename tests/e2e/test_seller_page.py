"""The seller page (issue 17) in a real browser — Debian's Chromium driven by Playwright — against real
processes: opened from a Chat card's link, a proposal sent and then edited under the edit lock, the
buyer's follow-up arriving live and answered, the order's end as the winner and as another seller
hear it; a page opened without a link or with a bad one, and a session that ends."""
from __future__ import annotations

import os
import re
import shutil
import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from devtools.service_process import ENDED_BY_ITSELF, launch_stack
from processor.app.services.seller_links import SellerLinks
from shared.auth import Role, TokenSigner
from shared.config.settings import DEV_TOKEN_KEY_ID, DEV_TOKEN_SECRET

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("db_backend")]
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# The development profile's token keys: what the Processor signs its links and sessions with.
SIGNER = TokenSigner({DEV_TOKEN_KEY_ID: DEV_TOKEN_SECRET})
DESKTOP = {"width": 1100, "height": 900}
PHONE = {"width": 390, "height": 844}
DETAILS = {
    "Industry": "construction", "Location": {"lat": 40.7128, "lng": -74.006},
    "Description": "Steel beams for a warehouse roof", "ExpiryMinutes": 90, "MaxSellers": 3,
    "Items": [{"name": "IPE 200 beam", "quantity": 40, "unit": "pcs"},
              {"name": "M16 bolt", "quantity": 1200, "unit": "pcs"}],
}


@pytest.fixture
def seller_stack(request, make_db_url, tmp_path, kafka_broker):
    """Both services as processes, the Processor with authentication on — so the page must carry its
    session's token, scoped to one seller and one order — and the Requestor (its buyer API open, as in
    development) calling it with a service token. `indirect` parameters: more Processor settings."""
    running = launch_stack(
        make_db_url("processor"), make_db_url("requestor"), kafka_broker.bootstrap, tmp_path,
        processor_env={"AUTH_ENABLED": "true", **getattr(request, "param", {})},
        requestor_env={"PROCESSOR_AUTH_TOKEN": SIGNER.issue(Role.SERVICE, "requestor", ttl_seconds=3600)},
    )
    try:
        yield running
    finally:
        exit_codes = running.stop()
    assert set(exit_codes.values()) <= ENDED_BY_ITSELF, exit_codes


@pytest.fixture
def chromium():
    if not Path(CHROMIUM).exists():
        message = "Debian's chromium is not installed (scripts/ensure_debian_tool.sh chromium installs it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


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


def serious(page) -> list[tuple[str, str, int]]:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    return [(v["id"], v["impact"], len(v["nodes"])) for v in violations if v["impact"] in ("serious", "critical")]


def session_token(page) -> str:
    stored = page.evaluate("""() => Object.keys(sessionStorage).filter((k) => k.includes(":session:"))
                                .map((k) => JSON.parse(sessionStorage.getItem(k)).Token)""")
    assert len(stored) == 1
    return stored[0]


def test_a_seller_quotes_edits_talks_and_hears_the_outcome(seller_stack, chromium, db_backend):
    from playwright.sync_api import expect

    order = f"ORD-SELLER-PAGE-{db_backend}"
    requestor = httpx.Client(base_url=seller_stack.requestor_url, timeout=10)
    processor = httpx.Client(base_url=seller_stack.processor_url, timeout=10)
    invited = initiate(requestor, order)["Sellers"]
    winner, other = invited[0], invited[1]
    proposal = f"{order}-{winner['SellerID']}"
    console: list[str] = []

    # Opened from the card's link: traded for a session, the link gone from the address bar.
    link = link_for(seller_stack, winner["SellerID"], order)
    page = open_page(chromium, DESKTOP, console)
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
    assert serious(page) == []
    page.fill("input[name=Price]", "1100")
    page.click("#save")
    expect(page.locator("#notice")).to_have_text("Saved: your proposal is now 1,100.00, revision 2.")
    expect(page.locator("#history li").filter(has_text="You updated")).to_have_text(
        re.compile(r"You updated your price to 1,100\.00$"))
    expect(page.locator("#history li").last).to_contain_text("You finished editing")
    view = processor.get(f"/api/v1/orders/{order}/sellers/{winner['SellerID']}", headers=own).json()
    assert view["Proposals"][0]["State"] == "Submitted" and view["Proposals"][0]["Revision"] == 2
    assert view["Proposals"][0]["ProposalDictObj"]["Note"] == "Delivered by truck, unloaded by crane"

    # A reload keeps the session (this tab's sessionStorage); the link is not needed again.
    page.reload()
    expect(page.locator("#live")).to_have_text("Live")
    expect(page.locator(".proposal .price")).to_have_text("1,100.00")

    # The buyer follows up: it arrives live, is read out, and is answered.
    asked = requestor.post("/api/v1/followup", json={"OrderReqID": order, "Audience": [proposal], "Message": {
        "content": {"URLs": [], "MessageType": "text", "Message": "Can you deliver by the 18th?"}}})
    assert asked.status_code == 200 and asked.json()["Reached"] == [proposal], asked.text
    expect(page.locator("#messages li.buyer")).to_contain_text("Can you deliver by the 18th?")
    expect(page.locator("#announcer")).to_have_text("New message from the buyer: Can you deliver by the 18th?")
    page.fill("#reply-form textarea[name=Message]", "Yes, by the 18th at the latest.")
    page.click("#send-reply")
    expect(page.locator("#notice")).to_have_text("Message sent to the buyer.")
    expect(page.locator("#messages li.mine")).to_contain_text("Yes, by the 18th at the latest.")
    wait_for(lambda: any(f["Message"]["Message"] == "Yes, by the 18th at the latest."
                         for f in requestor.get(f"/api/v1/orders/{order}").json()["FollowUps"]))

    # Another seller, on a phone, in a browser context of its own.
    phone = open_page(chromium, PHONE, console)
    phone.goto(link_for(seller_stack, other["SellerID"], order))
    expect(phone.locator("#live")).to_have_text("Live")
    phone.fill("input[name=Price]", "1300")
    phone.fill("input[name=DeliveryDate]", "2026-12-16")
    phone.click("#save")
    expect(phone.locator("#notice")).to_have_text("Proposal sent: 1,300.00.")
    assert serious(phone) == []
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.evaluate("window.scrollTo(0, 0)")
    phone.screenshot(path=str(ROOT / "docs" / "seller-page-phone.png"))
    assert serious(page) == []

    # The buyer awards the order: the winner hears it was accepted, the other seller that it was closed.
    finalized = requestor.put(f"/api/v1/finalize/{order}", json={"ProposalID": proposal})
    assert finalized.status_code == 200, finalized.text
    expect(page.locator("#outcome")).to_have_text("Your proposal was accepted.")
    expect(page.locator("#live")).to_have_text("Updates closed: the order has ended")
    expect(page.locator(".proposal dl")).to_contain_text("Accepted by the buyer")
    expect(page.locator("#proposal-form")).to_be_hidden()
    expect(phone.locator("#outcome")).to_have_text("The buyer chose another proposal: yours was closed.")
    expect(phone.locator(".proposal dl")).to_contain_text("Closed")
    expect(phone.locator("#live")).to_have_text("Updates closed: the order has ended")
    assert serious(phone) == [] and serious(page) == []
    page.screenshot(path=str(ROOT / "docs" / "seller-page.png"), full_page=True)

    # Neither the link nor the session's token was ever written to the console.
    secrets = [link.split("#link=", 1)[1], own["Authorization"].split(" ", 1)[1], session_token(phone)]
    assert not [line for line in console if any(secret in line for secret in secrets)]


@pytest.mark.parametrize("seller_stack", [{"SELLER_SESSION_HOURS": "0.005"}], indirect=True)  # 18 s
def test_no_link_a_bad_link_a_refusal_and_a_session_that_ends(seller_stack, chromium, db_backend):
    from playwright.sync_api import expect

    order = f"ORD-SELLER-GATE-{db_backend}"
    seller = initiate(httpx.Client(base_url=seller_stack.requestor_url, timeout=10), order)["Sellers"][0]["SellerID"]
    page = open_page(chromium, PHONE, [])
    gate = page.locator("#gate-text")

    page.goto(f"{seller_stack.processor_url}/seller/")
    expect(gate).to_have_text("Open this page from the link in your Google Chat notice.")
    assert serious(page) == []

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
