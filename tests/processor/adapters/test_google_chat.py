"""Google Chat webhooks against a local server: pace per space, Retry-After (capped), one thread per
order, users' words shown as words, bounded queues, no task-queue slot held while waiting, a bad
webhook failing only its own notices (the directory refusing such webhooks: test_seller_webhooks.py)."""
import asyncio
import logging
import threading
import time

import httpx
import pytest

from processor.app.adapters import google_chat
from processor.app.adapters.google_chat import GoogleChatNotifier
from processor.app.adapters.google_chat_messages import chat_text
from processor.app.domain.notices import NoticeKind, SellerNotice
from shared.utils.task_queue import Priority, PriorityTaskQueue

SPACE_A = "/v1/spaces/AAAA/messages?key=k1&token=t1"
SPACE_B = "/v1/spaces/BBBB/messages?key=k2&token=t2"
WEBHOOKS = {"S-A1": SPACE_A, "S-A2": SPACE_A, "S-B": SPACE_B}


async def webhooks_of(seller_ids):
    return {seller_id: WEBHOOKS.get(seller_id) for seller_id in seller_ids}


@pytest.fixture
async def make_notifier(fake_google):
    made = []

    async def make(per_second=20.0, attempts=3, **options):
        http = httpx.AsyncClient()
        notifier = GoogleChatNotifier(http, options.pop("webhooks_of", webhooks_of), base_url=fake_google.url,
                                      per_second=per_second, max_attempts=attempts, **options)
        made.append((notifier, http))
        return notifier

    yield make
    for notifier, http in made:
        await notifier.close()
        await http.aclose()


def notice(seller="S-A1", order="ORD-1", text="New order", kind=NoticeKind.INVITATION):
    return SellerNotice(order, seller, kind, text)


def recorder():
    """An on_failure that keeps what it is told."""
    recorded = []

    async def on_failure(failed, reason):
        recorded.append((failed, reason))

    return recorded, on_failure


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


# --- users' words are shown, never interpreted (issue 14) ----------------------------------------

async def test_a_buyers_follow_up_cannot_mention_everyone_or_disguise_a_link(make_notifier, fake_google):
    notifier = await make_notifier()
    notifier.enqueue(notice(kind=NoticeKind.BUYER_FOLLOW_UP, text="<users/all> see <https://evil.example|your bank>"))
    await notifier.idle()
    (sent,) = fake_google.chat_requests()
    text = sent.body["text"]
    assert "<" not in text and ">" not in text  # no <users/...> mention, no <url|label> link
    assert text == "*ORD-1* — \u2039users/all\u203a see \u2039https://evil.example|your bank\u203a"


async def test_user_words_cannot_format_the_notice_and_plain_text_is_unchanged(make_notifier, fake_google):
    notifier = await make_notifier()
    notifier.enqueue(notice(kind=NoticeKind.BUYER_FOLLOW_UP, text="*urgent* _now_ ~cancel~ `x` R&D <users/123>"))
    notifier.enqueue(notice(text="New order ORD-1: please send a proposal"))
    await notifier.idle()
    first, second = (r.body["text"] for r in fake_google.chat_requests())
    # Only the adapter's own header is bold; the buyer's markers show as look-alike characters.
    assert first == ("*ORD-1* — \u2217urgent\u2217 \uff3fnow\uff3f \u223ccancel\u223c \u02cbx\u02cb R&D "
                     "\u2039users/123\u203a")
    assert second == "*ORD-1* — New order ORD-1: please send a proposal"


def test_chat_text_neutralises_every_markup_character_and_nothing_else():
    assert chat_text("<>*_~`") == "\u2039\u203a\u2217\uff3f\u223c\u02cb"
    plain = "Order ORD-7 is now paused; price 12.50 & delivery 3 days (P-1, S-9) ok? yes! ü 😀\n2nd line"
    assert chat_text(plain) == plain


# --- bounded queues (issue 14) -----------------------------------------------------------------

async def test_a_full_space_queue_drops_and_records_the_rest_and_other_spaces_go_on(make_notifier, fake_google,
                                                                                  caplog):
    recorded, on_failure = recorder()
    notifier = await make_notifier(per_second=4.0, max_queued_per_space=3, on_failure=on_failure)
    with caplog.at_level(logging.WARNING, logger="processor.app.adapters.google_chat"):
        for n in range(10):  # one batch: routed before space A's worker takes the first
            notifier.enqueue(notice("S-A1", text=f"a{n}"))
        notifier.enqueue(notice("S-B", text="b0"))
        notifier.enqueue(notice("S-B", text="b1"))
        await notifier.idle()
    sent = fake_google.chat_requests()
    # Space A: exactly the bound (3) were queued and delivered, in order; the other 7 were dropped.
    assert [r.body["text"] for r in sent if "AAAA" in r.path] == [f"*ORD-1* — a{n}" for n in range(3)]
    # Space B is another queue: both of its notices went.
    assert [r.body["text"] for r in sent if "BBBB" in r.path] == ["*ORD-1* — b0", "*ORD-1* — b1"]
    assert (notifier.stats.sent, notifier.stats.dropped, notifier.stats.failed) == (5, 7, 0)
    assert [(n.text, n.seller_id) for n, _ in recorded] == [(f"a{n}", "S-A1") for n in range(3, 10)]
    assert all(reason.startswith("space queue full") for _, reason in recorded)
    assert [f["reason"] for f in notifier.stats.recent_failures] == [reason for _, reason in recorded]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings and "dropped" in warnings[0].getMessage()
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "key=" not in logged and "token=" not in logged and "AAAA" not in logged  # never the webhook


async def test_the_bound_counts_waiting_notices_not_the_one_being_delivered(make_notifier, fake_google):
    recorded, on_failure = recorder()
    notifier = await make_notifier(per_second=2.0, max_queued_per_space=3, on_failure=on_failure)
    notifier.enqueue(notice(text="first"))   # sent at once
    notifier.enqueue(notice(text="second"))  # taken off the queue, waits its half second for the pacer
    for _ in range(200):
        if notifier.stats.sent == 1:
            break
        await asyncio.sleep(0.01)
    assert notifier.stats.sent == 1  # so "second" is in flight now, no longer queued
    for n in range(10):
        notifier.enqueue(notice(text=f"more {n}"))
    await notifier.idle()
    texts = [r.body["text"].removeprefix("*ORD-1* — ") for r in fake_google.chat_requests()]
    # sent + in flight + the bound of 3 waiting; the 7 over the bound dropped
    assert texts == ["first", "second", "more 0", "more 1", "more 2"]
    assert (notifier.stats.sent, notifier.stats.dropped) == (5, 7)
    assert [n.text for n, _ in recorded] == [f"more {n}" for n in range(3, 10)]


async def test_a_full_intake_drops_at_enqueue_which_never_blocks_or_raises(make_notifier, fake_google):
    recorded, on_failure = recorder()
    directory_answers = asyncio.Event()

    async def slow_webhooks_of(seller_ids):
        await directory_answers.wait()
        return await webhooks_of(seller_ids)

    notifier = await make_notifier(webhooks_of=slow_webhooks_of, max_queued_per_space=100, max_intake=4,
                                   on_failure=on_failure)
    notifier.enqueue(notice(text="n0"))
    await asyncio.sleep(0.05)  # the router took n0 and waits for the directory
    for n in range(1, 8):
        notifier.enqueue(notice(text=f"n{n}"))  # n1..n4 fill the intake; n5..n7 are dropped at once
    assert notifier.stats.dropped == 3
    directory_answers.set()
    await notifier.idle()
    assert [r.body["text"] for r in fake_google.chat_requests()] == [f"*ORD-1* — n{n}" for n in range(5)]
    assert [n.text for n, _ in recorded] == ["n5", "n6", "n7"]
    assert all(reason.startswith("intake queue full") for _, reason in recorded)


async def test_enqueue_never_raises_when_recording_a_drop_fails(make_notifier, fake_google):
    async def broken_on_failure(failed, reason):
        raise RuntimeError("database down")

    notifier = await make_notifier(per_second=1000.0, max_queued_per_space=1, max_intake=1,
                                   on_failure=broken_on_failure)
    for n in range(5):
        notifier.enqueue(notice(text=str(n)))
    await notifier.idle()
    assert notifier.stats.sent + notifier.stats.dropped == 5 and notifier.stats.dropped >= 3


# --- a slow space holds no task-queue slot; Retry-After is capped (security review) --------------

def through(queue):
    """run_job as the processor wires it: each job on the shared queue, background, always admitted."""
    return lambda job: queue.run(job, priority=Priority.BACKGROUND, name="gchat-post", always_admit=True)


async def until(condition, seconds=5.0):
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.01)


async def test_a_space_answering_429_holds_no_task_queue_slot_while_it_waits(make_notifier, fake_google):
    """The review's repro in small: with one slot, a space that says "Retry-After: 30" must not keep
    an unrelated job (seller selection, a CONTROL pause) waiting behind its notice."""
    fake_google.chat = lambda path, body: (
        (429, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}}, {"Retry-After": "30"})
        if "AAAA" in path else None)
    queue = PriorityTaskQueue(max_concurrent=1)
    queue.start()
    try:
        notifier = await make_notifier(per_second=50.0, attempts=3, run_job=through(queue))
        notifier.enqueue(notice("S-A1"))
        await until(lambda: notifier.stats.retried == 1)  # A's first POST answered 429: it sleeps 30 s now
        started = time.monotonic()

        async def unrelated_job():
            return "selected"

        assert await asyncio.wait_for(queue.run(unrelated_job, priority=Priority.NEW_WORK), 1.0) == "selected"
        assert time.monotonic() - started < 1.0
        notifier.enqueue(notice("S-B"))  # another space's notice is not parked behind A's either
        await until(lambda: notifier.stats.sent == 1, seconds=1.0)
        assert (notifier.stats.sent, notifier.stats.failed) == (1, 0)  # A's notice is still pending
        assert len([r for r in fake_google.chat_requests() if "AAAA" in r.path]) == 1
        assert queue.running == 0  # nothing holds the slot while A waits
    finally:
        await queue.close()


async def test_retry_after_is_honoured_only_up_to_the_cap(make_notifier, fake_google):
    answers = iter([(429, {"error": {"code": 429}}, {"Retry-After": "86400"})])
    fake_google.chat = lambda path, body: next(answers, None)
    notifier = await make_notifier(per_second=50.0, max_retry_after=0.3)
    notifier.enqueue(notice())
    await asyncio.wait_for(notifier.idle(), 3.0)
    first, second = fake_google.chat_requests()
    assert 0.25 <= second.at - first.at < 2.0
    assert (notifier.stats.sent, notifier.stats.retried) == (1, 1)
    assert google_chat.MAX_RETRY_AFTER_SECONDS == 60.0  # the processor's cap


async def test_pacing_counts_from_when_a_post_goes_out_not_from_when_it_queued(make_notifier, fake_google):
    """A POST that waits for a task-queue slot goes out late; the space's next one still waits a full
    interval after it."""
    delayed, went_out = [], []

    async def busy_queue_first(job):
        if not delayed:
            delayed.append(job)
            await asyncio.sleep(0.4)  # the shared queue was busy
        went_out.append(time.monotonic())  # the slot is granted: the POST goes out now
        return await job()

    notifier = await make_notifier(per_second=2.0, run_job=busy_queue_first)
    notifier.enqueue(notice(text="first"))
    notifier.enqueue(notice(text="second"))
    await notifier.idle()
    assert len(fake_google.chat_requests()) == 2
    # Measured where the POSTs leave, not where the fake server reads them (that adds the machine's jitter).
    assert went_out[1] - went_out[0] >= 0.5 - 0.01


async def test_chat_posts_have_their_own_bound_so_hanging_webhooks_leave_slots_free(make_notifier, fake_google):
    """Webhooks that answer only after a long while: Chat holds at most max_concurrent_posts of the
    queue's slots, so other work still finds one at once."""
    in_flight, most = [0], [0]
    lock = threading.Lock()

    def slow(path, body):
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        time.sleep(0.5)
        with lock:
            in_flight[0] -= 1

    fake_google.chat = slow
    spaces = {f"S-{n}": f"/v1/spaces/SLOW{n}/messages?key=k&token=t" for n in range(5)}

    async def slow_webhooks_of(seller_ids):
        return {seller_id: spaces.get(seller_id) for seller_id in seller_ids}

    queue = PriorityTaskQueue(max_concurrent=2)
    queue.start()
    try:
        notifier = await make_notifier(webhooks_of=slow_webhooks_of, run_job=through(queue), max_concurrent_posts=1)
        for seller in spaces:
            notifier.enqueue(notice(seller))
        await until(lambda: most[0] == 1)

        async def unrelated_job():
            return "done"

        started = time.monotonic()
        assert await queue.run(unrelated_job, priority=Priority.BACKGROUND) == "done"
        assert time.monotonic() - started < 0.3
        await asyncio.wait_for(notifier.idle(), 10.0)
        assert notifier.stats.sent == 5 and most[0] == 1
    finally:
        await queue.close()


# --- a bad webhook fails its own notice, not the batch (security review) ---------------------------

async def test_a_webhook_with_a_control_character_fails_only_its_own_notices(make_notifier, fake_google, caplog):
    recorded, on_failure = recorder()
    hooks = {**WEBHOOKS,
             "S-BAD": f"{fake_google.url}/v1/spaces/bad\n/messages?key=k9&token=t9",
             "S-PROD": "https://chat.googleapis.com/v1/spaces/x\n"}

    async def webhooks_with_bad_ones(seller_ids):
        return {seller_id: hooks.get(seller_id) for seller_id in seller_ids}

    notifier = await make_notifier(webhooks_of=webhooks_with_bad_ones, on_failure=on_failure)
    with caplog.at_level(logging.INFO, logger="processor.app.adapters.google_chat"):
        for seller in ["S-A1", "S-BAD", "S-B", "S-PROD", "S-A2"]:  # one batch, one lookup
            notifier.enqueue(notice(seller, text=seller))
        await asyncio.wait_for(notifier.idle(), 5.0)
    assert sorted(r.body["text"] for r in fake_google.chat_requests()) == [
        "*ORD-1* — S-A1", "*ORD-1* — S-A2", "*ORD-1* — S-B"]
    assert (notifier.stats.sent, notifier.stats.failed) == (3, 2)
    assert [n.seller_id for n, _ in recorded] == ["S-BAD", "S-PROD"]
    assert all(reason.startswith("invalid webhook URL") for _, reason in recorded)
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "could not route" not in logged
    assert "k9" not in logged and "t9" not in logged and "spaces/bad" not in logged  # never the webhook


async def test_a_directory_hiccup_records_each_notice_and_the_router_goes_on(make_notifier, fake_google):
    recorded, on_failure = recorder()
    lookups = []

    async def flaky_webhooks_of(seller_ids):
        lookups.append(seller_ids)
        if len(lookups) == 1:
            raise ConnectionError("database down")
        return await webhooks_of(seller_ids)

    notifier = await make_notifier(webhooks_of=flaky_webhooks_of, on_failure=on_failure)
    notifier.enqueue(notice("S-A1", text="lost"))
    notifier.enqueue(notice("S-B", text="lost too"))
    await notifier.idle()
    assert [(n.seller_id, reason) for n, reason in recorded] == [
        ("S-A1", "could not look up the seller's webhook (ConnectionError)"),
        ("S-B", "could not look up the seller's webhook (ConnectionError)")]
    notifier.enqueue(notice("S-A1", text="later"))
    await notifier.idle()
    assert [r.body["text"] for r in fake_google.chat_requests()] == ["*ORD-1* — later"]
    assert (notifier.stats.sent, notifier.stats.failed) == (1, 2)


def test_bidirectional_overrides_cannot_reorder_what_a_seller_reads():
    assert chat_text("invoice\u202egpj.exe and \u2066x\u2069") == "invoicegpj.exe and x"
