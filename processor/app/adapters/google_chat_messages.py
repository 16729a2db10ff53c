"""A seller notice as a Google Chat message: a card (`cardsV2`) with the order's facts and a button
to the seller page, and the one-line `text` for clients that show no cards — one `threadKey` per
order either way. Google's formats: https://developers.google.com/workspace/chat/api/reference/rest/v1/cards
(card text takes a small HTML subset, so everything from outside is HTML-escaped there) and
https://developers.google.com/workspace/chat/format-messages (the text line, escaped by chat_text)."""
from __future__ import annotations

import html
from typing import Any

from processor.app.domain.notices import MAX_TEXT_CHARS, SellerNotice, shortened

BUTTON_TEXT = "Open the order"

# Google Chat text messages (Chat markup, MARKUP_SYNTAX_CHAT) interpret <users/{id}> and
# <users/all> as mentions, <url|label> as a link under a label of the sender's choosing, and
# *bold* _italic_ ~strikethrough~ `monospace`
# (https://developers.google.com/workspace/chat/format-messages). Google documents no escape for
# text messages: no backslash, and HTML entities are not decoded (a webhook's "&gt;" is shown as
# "&gt;", librenms/librenms#18234). So each markup character becomes its look-alike: the words read
# the same and nothing is interpreted; `&` is left as is. A plain URL is still auto-linked, but
# shows its real address.
_CHAT_LOOKALIKES = str.maketrans({
    "<": "\u2039",  # single left-pointing angle quotation mark
    ">": "\u203a",  # single right-pointing angle quotation mark
    "*": "\u2217",  # asterisk operator
    "_": "\uff3f",  # fullwidth low line
    "~": "\u223c",  # tilde operator
    "`": "\u02cb",  # modifier letter grave accent
    # Bidirectional overrides and isolates reorder what follows them ("…exe.pdf" shown for
    # "…fdp.exe"): dropped, the words keep their own order.
    **dict.fromkeys(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]), None),
})


def chat_text(words: str) -> str:
    """Words (a buyer's follow-up, ids, reasons) as Google Chat shows them literally: no mention,
    no disguised link, no formatting. The one escaping every notice goes through."""
    return words.translate(_CHAT_LOOKALIKES)


def _escaped(words: str) -> str:
    return html.escape(words, quote=False)


def chat_message(notice: SellerNotice, link: str | None) -> dict[str, Any]:
    """The JSON body of one Chat message for `notice`; `link` opens the seller page (None: no button)."""
    message: dict[str, Any] = {
        # The header's *bold* is ours; everything from outside goes through chat_text().
        # The line a client without cards, a push notification or an e-mail preview shows: never the
        # link (a credential for a while), and short (Chat takes at most 32,000 bytes a message).
        "text": f"*{chat_text(notice.order_req_id)}* — {chat_text(shortened(notice.text, MAX_TEXT_CHARS))}",
        "thread": {"threadKey": notice.order_req_id},
    }
    card = notice.card
    if card is None:
        return message
    widgets: list[dict[str, Any]] = [
        {"decoratedText": {"topLabel": _escaped(label), "text": _escaped(value), "wrapText": True}}
        for label, value in card.facts
    ]
    sections: list[dict[str, Any]] = [{"widgets": widgets}] if widgets else []
    if card.message:
        sections.insert(0, {"header": "Message", "widgets": [{"textParagraph": {"text": _escaped(card.message)}}]})
    if card.items:
        sections.append({"header": "Items", "collapsible": len(card.items) > 5, "uncollapsibleWidgetsCount": 5,
                         "widgets": [{"decoratedText": {"text": _escaped(item), "wrapText": True}}
                                     for item in card.items]})
    if link:
        sections.append({"widgets": [{"buttonList": {"buttons": [
            {"text": BUTTON_TEXT, "onClick": {"openLink": {"url": link}}},
        ]}}]})
    message["cardsV2"] = [{
        "cardId": f"{notice.kind.value}-{notice.order_req_id}"[:64],
        "card": {"header": {"title": _escaped(card.title), "subtitle": _escaped(card.subtitle)}, "sections": sections},
    }]
    return message
