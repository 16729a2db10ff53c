"""The buyer's page in a real browser (Debian's Chromium driven by Playwright) against real processes."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from tests.e2e.browser import DESKTOP, PHONE, ROOT, chromium, screenshot, serious_violations

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("db_backend")]
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def page():
    with chromium() as browser:
        # One locale, so that the page's Intl formats (1,166.92; 20 Dec 2026) are what the test reads.
        yield browser.new_page(viewport=DESKTOP, locale="en-GB", timezone_id="UTC")


# The chart is drawn at its box's width and redrawn when that changes.
CHART_FITS = ("() => Math.floor(document.querySelector('#chart-box').clientWidth)"
              " === document.querySelector('#chart').viewBox.baseVal.width")


@contextmanager
def on_a_phone(page) -> Iterator[None]:
    """The page at 390×844, redrawn for it and not scrolling sideways; then the desktop again."""
    page.set_viewport_size(PHONE)
    if page.locator("#order-page").is_visible():
        page.wait_for_function(CHART_FITS)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the page scrolls sideways"
    yield
    page.set_viewport_size(DESKTOP)
    if page.locator("#order-page").is_visible():
        page.wait_for_function(CHART_FITS)


def submit(seller: httpx.Client, order: str, seller_id: str, pid: str, price: float, delivery: str,
           note: str | None = None) -> int:
    body = {"OrderReqID": order, "Seller": seller_id,
            "ProposalDictObj": {"ProposalID": pid, "Price": price, "DeliveryDate": delivery}}
    if note is not None:
        body["ProposalDictObj"]["Note"] = note
    return seller.post("/api/v1/proposal-submissions", json=body).status_code


def test_buyer_watches_a_proposal_arrive_follows_up_and_finalizes(stack, page, db_backend):
    from playwright.sync_api import expect

    order = f"ORD-WEB-{db_backend}"
    page.goto(stack.requestor_url + "/")
    expect(page.locator("#orders-page")).to_be_visible()
    assert serious_violations(page) == []
    with on_a_phone(page):
        assert serious_violations(page) == []

    page.fill("input[name=OrderReqId]", order)
    # A latitude without a longitude is refused in the page, in words beside the fields: nothing is sent.
    initiated = []
    page.on("request", lambda request: initiated.append(request.url) if "/api/v1/initiate" in request.url else None)
    page.fill("input[name=lat]", "40.71")
    page.click("#initiate-form button")
    expect(page.locator("#location-error")).to_have_text(
        "Give a longitude too, or clear the latitude: a location needs both.")
    expect(page.locator("input[name=lng]")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("input[name=lng]")).to_be_focused()
    assert initiated == [] and page.locator("#orders-page").is_visible()
    page.fill("input[name=lat]", "")
    expect(page.locator("#location-error")).to_be_hidden()
    page.fill("input[name=Industry]", "construction")
    page.click("#initiate-form summary")
    page.fill("textarea[name=Description]", "Concrete and rebar for a garage slab")
    page.fill("textarea[name=Items]", "Ready-mix concrete: 12 m3\nRebar: 1.5 t")
    page.fill("input[name=MaxSellers]", "10")
    page.click("#initiate-form button")
    expect(page.locator("#order-state")).to_have_text("Open")
    expect(page.locator("#order-heading")).to_be_focused()  # not lost on <body> with the hidden form
    expect(page.locator("#live")).to_have_text("live")
    expect(page.locator("#sellers tbody tr")).to_have_count(10)
    # The order's details, as the view carries them.
    details = page.locator("#order-details")
    expect(details).to_contain_text("Concrete and rebar for a garage slab")
    expect(details.locator(".items li")).to_have_text(["Ready-mix concrete: 12 m3", "Rebar: 1.5 t"])
    expect(details).to_contain_text("construction")
    expect(details).to_contain_text("10 sellers invited (at most 10 asked for)")

    seller = httpx.Client(base_url=stack.processor_url)
    assert submit(seller, order, "SELLER-001", "WEB-1", 1200.0, "2026-12-20T00:00:00Z") == 201
    assert submit(seller, order, "SELLER-007", "WEB-2", 950.0, "2026-12-24T00:00:00Z") == 201
    # Arrives without reloading; the comparison marks the lowest price and the earliest delivery.
    expect(page.locator("#proposals tbody tr")).to_have_count(2)
    expect(page.locator("tr[data-proposal=WEB-2] .best")).to_have_text("950")
    expect(page.locator("tr[data-proposal=WEB-1] .best")).to_have_text("20 Dec 2026")
    # The chart: one point per proposal, the two best marked by shape and word, summarised for screen readers.
    chart = page.locator("#chart")
    expect(chart.locator(".point")).to_have_count(2)
    expect(chart.locator(".point.best-price")).to_have_attribute("data-proposal", "WEB-2")
    expect(chart.locator(".point.earliest")).to_have_attribute("data-proposal", "WEB-1")
    expect(chart.locator(".mark-label")).to_have_text(["Earliest delivery", "Lowest price"])
    expect(chart).to_have_attribute("role", "img")
    expect(chart).to_have_attribute(
        "aria-label", "2 proposals, lowest price 950 by SELLER-007, earliest delivery 20 Dec 2026 by SELLER-001")
    # Hovering or focusing a point tells its seller, price and delivery.
    page.hover("#chart-points .hit[data-proposal=WEB-1]")
    expect(page.locator("#chart-tip")).to_contain_text("SELLER-001")
    page.focus("#chart-points .hit[data-proposal=WEB-1]")
    page.keyboard.press("ArrowRight")  # the points are one tab stop; arrows go along the delivery dates
    expect(page.locator("#chart-points .hit[data-proposal=WEB-2]")).to_be_focused()
    for words in ["SELLER-007", "Price 950", "Delivery 24 Dec 2026", "lowest price"]:
        expect(page.locator("#chart-tip")).to_contain_text(words)

    # A follow-up needs a proposal ticked: the button waits for one, and says so.
    expect(page.locator("#followup-form button")).to_be_disabled()
    expect(page.locator("#followup-hint")).to_have_text("Tick the proposals to ask.")
    page.check("tr[data-proposal=WEB-2] input[name=audience]")
    expect(page.locator("#followup-hint")).to_be_hidden()
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

    # A third proposal, with the seller's note, and a price update: the chart and the table follow,
    # the news is read out; the note is shown as text on a line under its proposal.
    note = "-5% if paid within 7 days, crane <b>unloading</b> included"
    assert submit(seller, order, "SELLER-013", "WEB-3", 1100.0, "2026-12-22T00:00:00Z", note) == 201
    expect(page.locator("#announcer")).to_contain_text(
        "SELLER-013 sent a proposal: 1,100, delivery 22 Dec 2026, with a note")
    expect(page.locator("#proposals tr[data-note-for=WEB-3] .note-text")).to_have_text(note)
    expect(page.locator("#proposals tr[data-note-for=WEB-3]")).to_contain_text("Note on WEB-3 from SELLER-013")
    expect(page.locator("#proposals tr.note")).to_have_count(1)
    assert submit(seller, order, "SELLER-001", "WEB-1", 1166.92, "2026-12-20T00:00:00Z") == 200
    expect(page.locator("tr[data-proposal=WEB-1] td.num")).to_have_text("1,166.92")
    expect(chart.locator(".point")).to_have_count(3)
    expect(chart).to_have_attribute(
        "aria-label", "3 proposals, lowest price 950 by SELLER-007, earliest delivery 20 Dec 2026 by SELLER-001")

    # Sorting: buttons in the headers, aria-sort on the sorted column, by mouse or keyboard.
    ids = page.locator("#proposals tbody td.pid")
    expect(ids).to_have_text(["WEB-1", "WEB-2", "WEB-3"])
    price_header = page.locator("#proposals th", has=page.locator("button[data-sort=price]"))
    page.click("#proposals button[data-sort=price]")
    expect(ids).to_have_text(["WEB-2", "WEB-3", "WEB-1"])
    expect(price_header).to_have_attribute("aria-sort", "ascending")
    page.click("#proposals button[data-sort=price]")
    expect(ids).to_have_text(["WEB-1", "WEB-3", "WEB-2"])
    expect(price_header).to_have_attribute("aria-sort", "descending")
    page.focus("#proposals button[data-sort=arrival]")
    page.keyboard.press("Enter")
    expect(ids).to_have_text(["WEB-1", "WEB-2", "WEB-3"])
    page.focus("#proposals button[data-sort=delivery]")
    page.keyboard.press("Enter")
    expect(ids).to_have_text(["WEB-1", "WEB-3", "WEB-2"])
    page.keyboard.press("Space")
    expect(ids).to_have_text(["WEB-2", "WEB-3", "WEB-1"])
    expect(page.locator("#proposals th[aria-sort]")).to_have_count(1)
    page.click("#proposals button[data-sort=price]")
    expect(price_header).to_have_attribute("aria-sort", "ascending")
    expect(ids).to_have_text(["WEB-2", "WEB-3", "WEB-1"])
    expect(page.locator("tr[data-proposal=WEB-2] .best")).to_have_text("950")  # the marks stay on their rows

    # CSV, in the table's order; fields a spreadsheet would run as a formula are defused.
    with page.expect_download() as download:
        page.click("#export-csv")
    assert download.value.suggested_filename == f"{order}-proposals.csv"
    raw = Path(download.value.path()).read_bytes().decode()
    assert raw.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    assert rows[0] == ["ProposalID", "Seller", "Price", "DeliveryDate", "State", "Revision", "ArrivedAt", "Note"]
    assert [r[7] for r in rows[1:]] == ["", f"'{note}", ""]  # defused (a leading -) and quoted (a comma)
    assert '"\'-5% if paid within 7 days, crane <b>unloading</b> included"\r\n' in raw
    assert [r[:6] for r in rows[1:]] == [
        ["WEB-2", "SELLER-007", "950", "2026-12-24T00:00:00Z", "Submitted", "1"],
        ["WEB-3", "SELLER-013", "1100", "2026-12-22T00:00:00Z", "Submitted", "1"],
        ["WEB-1", "SELLER-001", "1166.92", "2026-12-20T00:00:00Z", "Submitted", "2"],
    ]
    assert all(datetime.fromisoformat(r[6]) for r in rows[1:])
    assert page.evaluate("['=SUM(A1)', '+1', '-2', '@x', 'a,\"b\"', 'two\\nlines', 'plain'].map(csvField)") == [
        "'=SUM(A1)", "'+1", "'-2", "'@x", '"a,""b"""', '"two\nlines"', "plain"]

    # The timeline in words; each entry keeps its event type.
    timeline = page.locator("#timeline")
    for words in ["You asked for quotes", "10 sellers invited (ranked by",
                  "SELLER-001 sent a proposal: 1,200, delivery 20 Dec 2026",
                  "SELLER-007 sent a proposal: 950, delivery 24 Dec 2026",
                  "You → WEB-2: Can you deliver by the 20th?", "You paused the order", "You resumed the order",
                  "SELLER-001 updated its price to 1,166.92 (was 1,200)"]:
        expect(timeline).to_contain_text(words)
    expect(timeline.locator("li[data-event=ProposalSubmissions]")).to_have_count(3)
    expect(timeline.locator("li[data-event=ProposalUpdate]")).to_have_text([
        re.compile(r"SELLER-001 updated its price to 1,166\.92")])

    # Accessibility of the comparison, on a desktop and on a phone; the screenshots for docs/.
    page.mouse.move(0, 0)
    assert serious_violations(page) == []
    with on_a_phone(page):
        assert serious_violations(page) == []
        # Tap targets: the chart's points and the table's buttons are at least 44 px.
        for selector in ["#chart-points .hit", "#proposals button.finalize", "#proposals button.sort", "#export-csv"]:
            box = page.locator(selector).first.bounding_box()
            assert box["width"] >= 44 and box["height"] >= 44, (selector, box)
        if db_backend == "sqlite":  # one pair of pictures, whichever databases ran
            page.evaluate("document.querySelector('#compare').scrollIntoView({block: 'start'})")
            screenshot(page, "buyer-compare-phone.png")
    if db_backend == "sqlite":
        page.evaluate("window.scrollTo(0, 0)")
        bottom = page.locator("#compare").bounding_box()
        screenshot(page, "buyer-compare.png", full_page=True,
                   clip={"x": 0, "y": 0, "width": DESKTOP["width"], "height": bottom["y"] + bottom["height"] + 16})

    seller.post("/api/v1/edit-lock", json={"OrderReqID": order, "ProposalID": "WEB-2", "Seller": "SELLER-007"})
    expect(timeline).to_contain_text("SELLER-007 is editing its proposal WEB-2")
    page.click("tr[data-proposal=WEB-2] button.finalize")  # refused while the seller edits it
    # In words, without a status code: the server's reason, and until when its seller edits it.
    expect(page.locator("#message")).to_contain_text("Refused: proposal WEB-2 is edit-locked")
    expect(page.locator("#message")).to_contain_text(re.compile(r"SELLER-007 is editing it until \d\d:\d\d"))
    expect(page.locator("#message")).not_to_contain_text("409")
    expect(page.locator("#order-outcome")).to_be_hidden()
    page.click("tr[data-proposal=WEB-1] button.finalize")
    expect(page.locator("#order-state")).to_have_text("Finalised")
    # An ended order: its outcome up top, no controls left that could only be refused.
    expect(page.locator("#order-outcome")).to_have_text(
        "Finalised: WEB-1 from SELLER-001 was awarded; the other proposals were closed.")
    for control in ["#pause", "#resume", "#followup-form"]:
        expect(page.locator(control)).to_be_hidden()
    expect(page.locator("#proposals button.finalize")).to_have_count(0)
    expect(page.locator("#order-details")).not_to_contain_text("Expires")
    expect(page.locator("tr[data-proposal=WEB-1]")).to_have_class("Accepted")
    expect(page.locator("tr[data-proposal=WEB-2]")).to_have_class("Closed")
    expect(page.locator("#live")).to_have_text("closed")
    expect(timeline).to_contain_text("You finalised: WEB-1 accepted")
    expect(timeline.locator("li[data-event=OrderFinalised]")).to_have_count(1)

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"buyer-page-{db_backend}.png"), full_page=True)

    # The orders list with the order on it, on a phone: accessible, and pictured.
    page.click("text=All orders")
    expect(page.locator("#orders-page")).to_be_visible()
    expect(page.locator("#orders-page")).to_contain_text(order)
    with on_a_phone(page):
        assert serious_violations(page) == []
        if db_backend == "sqlite":
            page.evaluate("document.querySelector('#orders').scrollIntoView({block: 'center'})")
            screenshot(page, "buyer-orders-phone.png")
