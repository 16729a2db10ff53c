"""The buyer's page in a real browser (Debian's Chromium driven by Playwright) against real processes."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("db_backend")]
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def page():
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
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        yield page
        browser.close()


def test_buyer_watches_a_proposal_arrive_follows_up_and_finalizes(stack, page, db_backend):
    from playwright.sync_api import expect

    order = f"ORD-WEB-{db_backend}"
    page.goto(stack.requestor_url + "/")
    page.fill("input[name=OrderReqId]", order)
    page.fill("input[name=Industry]", "construction")
    page.click("#initiate-form button")
    expect(page.locator("#order-state")).to_have_text("Open")
    expect(page.locator("#live")).to_have_text("live")
    expect(page.locator("#sellers tbody tr")).to_have_count(10)

    seller = httpx.Client(base_url=stack.processor_url)
    for seller_id, pid, price, delivery in [("SELLER-001", "WEB-1", 1200.0, "2026-12-20T00:00:00Z"),
                                            ("SELLER-007", "WEB-2", 950.0, "2026-12-24T00:00:00Z")]:
        body = {"OrderReqID": order, "Seller": seller_id,
                "ProposalDictObj": {"ProposalID": pid, "Price": price, "DeliveryDate": delivery}}
        assert seller.post("/api/v1/proposal-submissions", json=body).status_code == 201
    # Arrives without reloading; the comparison marks the lowest price and the earliest delivery.
    expect(page.locator("#proposals tbody tr")).to_have_count(2)
    expect(page.locator("tr[data-proposal=WEB-2] .best")).to_have_text("950")
    expect(page.locator("tr[data-proposal=WEB-1] .best")).to_have_text("2026-12-20")

    page.check("tr[data-proposal=WEB-2] input[name=audience]")
    page.fill("#followup-form input[name=Message]", "Can you deliver by the 20th?")
    page.click("#followup-form button")
    expect(page.locator("#message")).to_have_text("Sent to WEB-2")
    expect(page.locator("#followups li")).to_have_text(["You → WEB-2: Can you deliver by the 20th?"])

    page.click("#pause")
    expect(page.locator("#order-state")).to_have_text("Paused")
    refused = seller.post("/api/v1/proposal-submissions", json={
        "OrderReqID": order, "Seller": "SELLER-013", "ProposalDictObj": {"ProposalID": "WEB-3", "Price": 1.0}})
    assert refused.status_code == 409
    page.click("#pause", force=True)  # disabled while paused: nothing happens
    page.click("#resume")
    expect(page.locator("#order-state")).to_have_text("Open")

    seller.post("/api/v1/edit-lock", json={"OrderReqID": order, "ProposalID": "WEB-2", "Seller": "SELLER-007"})
    page.click("tr[data-proposal=WEB-2] button.finalize")  # refused while the seller edits it
    expect(page.locator("#message")).to_contain_text("409: proposal WEB-2 is edit-locked")
    page.click("tr[data-proposal=WEB-1] button.finalize")
    expect(page.locator("#order-state")).to_have_text("Finalised")
    expect(page.locator("tr[data-proposal=WEB-1]")).to_have_class("Accepted")
    expect(page.locator("tr[data-proposal=WEB-2]")).to_have_class("Closed")
    expect(page.locator("#live")).to_have_text("closed")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"buyer-page-{db_backend}.png"), full_page=True)
