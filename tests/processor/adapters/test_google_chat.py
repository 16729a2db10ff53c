"""Google Chat webhooks against a local server: pace per space, Retry-After, one thread per order."""
import httpx
import pytest

from processor.app.adapters.google_chat import GoogleChatNotifier
from processor.app.services.notify import NoticeKind, SellerNotice

SPACE_A = "/v1/spaces/AAAA/messages?key=k1&token=t1"
SPACE_B = "/v1/spaces/BBBB/messages?key=k2&token=t2"
WEBHOOKS = {"S-A1": SPACE_A, "S-A2": SPACE_A, "S-B": SPACE_B}


async def webhooks_of(seller_ids):
    return {seller_id: WEBHOOKS.get(seller_id) for seller_id in seller_ids}


@pytest.fixture
async def make_notifier(fake_google):
    made = []

    async def make(per_second=20.0, attempts=3):
        http = httpx.AsyncClient()
        notifier = GoogleChatNotifier(http, webhooks_of, base_url=fake_google.url, per_second=per_second,
                                      max_attempts=attempts)
        made.append((notifier, http))
        return notifier

    yield make
    for notifier, http in made:
        await notifier.close()
        await http.aclose()


def notice(seller="S-A1", order="ORD-1", text="New order"):
    return SellerNotice(order, seller, NoticeKind.INVITATION, text)


async def test_one_space_is_paced_and_one_order_is_one_thread(make_notifier, fake_google):
    notifier = await make_notifier(per_second=20.0)  # one message every 50 ms
    for n in range(10):
        notifier.enqueue(notice("S-A1" if n % 2 else "S-A2", text=f"notice {n}"))
    await notifier.idle()
    sent = fake_google.chat_requests()
    assert len(sent) == 10 and notifier.stats.sent == 10
    # Ten sends at 20/s span at least 9 intervals (measured where they arrive, so one
    # request's transit jitter is allowed for, not a faster rate).
    assert sent[-1].at - sent[0].at >= 9 * 0.05 - 0.02
    assert {r.body["thread"]["threadKey"] for r in sent} == {"ORD-1"}
    assert all(r.query["messageReplyOption"] == ["REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"] for r in sent)
    assert all(r.query["key"] == ["k1"] and r.query["token"] == ["t1"] for r in sent)
    assert [r.body["text"] for r in sent] == [f"*ORD-1* — notice {n}" for n in range(10)]


async def test_spaces_do_not_wait_for_each_other(make_notifier, fake_google):
    notifier = await make_notifier(per_second=2.0)
    notifier.enqueue(notice("S-A1"))
    notifier.enqueue(notice("S-A2"))  # same space: waits its half second
    notifier.enqueue(notice("S-B"))   # another space: goes at once
    await notifier.idle()
    sent = fake_google.chat_requests()
    a_times = sorted(r.at for r in sent if "AAAA" in r.path)
    b_time = next(r.at for r in sent if "BBBB" in r.path)
    assert a_times[1] - a_times[0] >= 0.45  # the second message of space A waited its turn
    assert b_time < a_times[1]  # space B's did not wait behind it


async def test_429_retry_after_is_honoured(make_notifier, fake_google):
    answers = iter([(429, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}}, {"Retry-After": "1"})])
    fake_google.chat = lambda path, body: next(answers, None)
    notifier = await make_notifier(per_second=50.0)
    notifier.enqueue(notice())
    await notifier.idle()
    first, second = fake_google.chat_requests()
    assert second.at - first.at >= 0.95
    assert (notifier.stats.sent, notifier.stats.retried, notifier.stats.failed) == (1, 1, 0)


async def test_gives_up_after_bounded_attempts_and_records_it(make_notifier, fake_google):
    fake_google.chat = lambda path, body: (503, {"error": "unavailable"}, {"Retry-After": "0"})
    notifier = await make_notifier(attempts=3)
    notifier.enqueue(notice(order="ORD-9"))
    notifier.enqueue(notice("S-B", order="ORD-9"))
    await notifier.idle()
    assert len(fake_google.chat_requests()) == 6
    assert notifier.stats.failed == 2
    assert {f["seller_id"] for f in notifier.stats.recent_failures} == {"S-A1", "S-B"}
    assert all(f["reason"] == "HTTP 503" for f in notifier.stats.recent_failures)


async def test_client_errors_are_not_retried_and_sellers_without_webhook_are_skipped(make_notifier, fake_google):
    fake_google.chat = lambda path, body: (400, {"error": {"status": "INVALID_ARGUMENT"}}, {})
    notifier = await make_notifier()
    notifier.enqueue(notice())
    notifier.enqueue(notice("S-NONE"))
    await notifier.idle()
    assert len(fake_google.chat_requests()) == 1
    assert (notifier.stats.failed, notifier.stats.skipped) == (1, 1)


async def test_enqueue_returns_before_delivery(make_notifier, fake_google):
    notifier = await make_notifier(per_second=1.0)
    for n in range(5):
        notifier.enqueue(notice(text=str(n)))  # five at one a second would take four seconds
    assert notifier.stats.sent <= 1  # queued, not waited for


async def test_notices_enqueued_together_need_one_directory_lookup(fake_google):
    lookups = []

    async def counting_webhooks_of(seller_ids):
        lookups.append(seller_ids)
        return await webhooks_of(seller_ids)

    async with httpx.AsyncClient() as http:
        notifier = GoogleChatNotifier(http, counting_webhooks_of, base_url=fake_google.url, per_second=1000.0,
                                      max_attempts=1)
        for seller in ["S-A1", "S-A2", "S-B", "S-UNKNOWN", "S-A1"]:  # an order's invitations, say
            notifier.enqueue(notice(seller))
        await notifier.idle()
        await notifier.close()
    assert lookups == [["S-A1", "S-A2", "S-B", "S-UNKNOWN"]]
    assert (notifier.stats.sent, notifier.stats.skipped) == (4, 1)
