"""Issue 17: a notice goes to Google Chat as a card (cardsV2) carrying the order — description,
items and quantities, distance, expiry — and a button to the seller page, with the one-line text
for clients that show no cards, one threadKey per order."""
import json
from datetime import UTC, datetime

from processor.app.adapters.google_chat_messages import BUTTON_TEXT, chat_message
from processor.app.domain.notices import MAX_CARD_ITEMS, NoticeCard, NoticeKind, SellerNotice, order_card
from shared.models.orders import OrderDetails

EXPIRES = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)
DETAILS = OrderDetails.model_validate({
    "Industry": "construction", "Description": "Steel for <b>the</b> new hall",
    "Items": [{"name": "I-beam HEB 200", "quantity": 12, "unit": "t"}, {"name": "bolts M16", "quantity": 1500}],
})


def widgets(message: dict) -> list[dict]:
    return [w for section in message["cardsV2"][0]["card"]["sections"] for w in section["widgets"]]


def test_an_invitation_card_carries_the_order_and_a_button_to_the_seller_page():
    card = order_card(NoticeKind.INVITATION, "ORD-7", DETAILS, EXPIRES, distance_km=12.345)
    notice = SellerNotice("ORD-7", "SELLER-1", NoticeKind.INVITATION, "New order ORD-7: please send a proposal",
                          card=card)
    message = chat_message(notice, "https://sellers.example/seller/#link=abc.def.ghi")

    assert message["thread"] == {"threadKey": "ORD-7"}
    assert message["text"] == "*ORD-7* — New order ORD-7: please send a proposal"  # never the link
    (entry,) = message["cardsV2"]
    assert entry["card"]["header"]["title"] == "New order ORD-7"
    facts = {w["decoratedText"].get("topLabel"): w["decoratedText"]["text"] for w in widgets(message)
             if "decoratedText" in w}
    assert facts["Description"] == "Steel for &lt;b&gt;the&lt;/b&gt; new hall"  # card text is HTML: escaped
    assert facts["Distance"] == "12.3 km" and facts["Expires"] == "01 Dec 2026, 14:30 UTC"
    items = [w["decoratedText"]["text"] for w in widgets(message) if "decoratedText" in w
             and "topLabel" not in w["decoratedText"]]
    assert items == ["12 t I-beam HEB 200", "1500 × bolts M16"]
    (button,) = [b for w in widgets(message) if "buttonList" in w for b in w["buttonList"]["buttons"]]
    assert button == {"text": BUTTON_TEXT, "onClick": {"openLink": {"url": "https://sellers.example/seller/#link=abc.def.ghi"}}}


def test_a_follow_up_card_shows_the_buyers_words_and_no_button_without_a_page():
    words = "<users/all> can you do *the 20th*?"
    card = order_card(NoticeKind.BUYER_FOLLOW_UP, "ORD-7", DETAILS, EXPIRES, message=words)
    message = chat_message(SellerNotice("ORD-7", "SELLER-1", NoticeKind.BUYER_FOLLOW_UP, "can you", card=card), None)
    first = message["cardsV2"][0]["card"]["sections"][0]
    assert first["header"] == "Message"
    assert first["widgets"][0]["textParagraph"]["text"] == "&lt;users/all&gt; can you do *the 20th*?"
    assert not any("buttonList" in w for w in widgets(message)) and "#link" not in message["text"]


def test_every_kind_has_a_card_and_a_notice_without_one_is_text_only():
    for kind in NoticeKind:
        assert order_card(kind, "ORD-7", DETAILS, EXPIRES).title
    plain = chat_message(SellerNotice("ORD-7", "SELLER-1", NoticeKind.ORDER_PAUSED, "Order ORD-7 is now Paused"), None)
    assert set(plain) == {"text", "thread"}


def test_long_item_lists_are_cut_and_the_card_survives_its_json_round_trip():
    details = OrderDetails.model_validate({"Items": [{"name": f"part {n}", "quantity": n + 1} for n in range(30)]})
    card = order_card(NoticeKind.INVITATION, "ORD-7", details, EXPIRES)
    assert len(card.items) == MAX_CARD_ITEMS + 1 and card.items[-1] == "and 10 more"
    assert NoticeCard.from_json(card.to_json()) == card


def test_the_largest_order_still_fits_in_one_chat_message():
    """Chat takes at most 32,000 bytes: every field at its maximum, of the kind escaping grows most."""
    worst = OrderDetails.model_validate({
        "Industry": "&" * 64, "Description": "&" * 4000,
        "Items": [{"name": "&" * 200, "quantity": 1e12, "unit": "&" * 32} for _ in range(200)],
    })
    card = order_card(NoticeKind.BUYER_FOLLOW_UP, "O" * 128, worst, EXPIRES, distance_km=1e6, message="漢&" * 2000)
    notice = SellerNotice("O" * 128, "S" * 128, NoticeKind.BUYER_FOLLOW_UP, "漢&" * 2000, card=card)
    body = json.dumps(chat_message(notice, "https://sellers.example/seller/#link=" + "x" * 600), ensure_ascii=False)
    assert len(body.encode()) < 32_000, len(body.encode())
