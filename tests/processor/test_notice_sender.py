"""The seller notices' sender (issue 16): rows handed to the carrier in the order written, each
stamped once the carrier settles it, at most so many per seller, and the carrier's backlog
discarded when the term ends — what was not settled is there for the next term."""
import asyncio

import pytest
from sqlalchemy import insert, select

from processor.app.domain.notices import NoticeKind, SellerNotice
from processor.app.services.notice_sender import NoticeSender
from processor.app.store.notice_outbox import NoticeOutbox
from processor.app.store.tables import Base, SellerNoticeRow
from shared.db.engine import make_engine, make_sessionmaker, write_session
from shared.models.common import utcnow

pytestmark = pytest.mark.usefixtures("db_backend")


class Carrier:
    """Takes notices; settles them when told to; forgets the rest at discard."""

    def __init__(self) -> None:
        self.taken: list[SellerNotice] = []
        self.discarded = 0

    def enqueue(self, notice: SellerNotice) -> None:
        self.taken.append(notice)

    async def discard(self) -> None:
        self.discarded += 1


async def wait_for(condition, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


@pytest.fixture
async def outbox(make_db_url):
    engine = make_engine(make_db_url("notices"))
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    yield NoticeOutbox(make_sessionmaker(engine))
    await engine.dispose()


async def write(outbox: NoticeOutbox, notices: list[SellerNotice]) -> None:
    async with write_session(outbox._sessions) as session:
        await outbox.stage(session, notices, utcnow())
    outbox.written()


async def unsent_ids(outbox: NoticeOutbox) -> list[int]:
    async with outbox._sessions() as session:
        return list(await session.scalars(select(SellerNoticeRow.id).where(SellerNoticeRow.sent_at.is_(None))))


def notice(order: str, seller: str, kind: NoticeKind = NoticeKind.INVITATION) -> SellerNotice:
    return SellerNotice(order, seller, kind, f"about {order}")


async def test_notices_go_in_order_written_and_are_stamped_once_settled(outbox):
    sender = NoticeSender(outbox=outbox, max_in_flight=10, max_per_seller=10, pace_seconds=0.0, poll_seconds=0.05)
    carrier = Carrier()
    await write(outbox, [notice("ORD-1", "S-1"), notice("ORD-1", "S-2", NoticeKind.PROPOSAL_ACCEPTED)])
    term = asyncio.create_task(sender.run(carrier))
    try:
        await wait_for(lambda: len(carrier.taken) == 2)
        assert [(n.seller_id, n.kind) for n in carrier.taken] == [
            ("S-1", NoticeKind.INVITATION), ("S-2", NoticeKind.PROPOSAL_ACCEPTED)]
        sender.settled(carrier.taken[0])
        second = carrier.taken[1].notice_id
        await wait_for_async(lambda: unsent_ids(outbox), [second])
        await asyncio.sleep(0.2)
        assert len(carrier.taken) == 2  # the unsettled one is not handed twice in one term
    finally:
        term.cancel()
        await asyncio.gather(term, return_exceptions=True)
    assert carrier.discarded == 1 and await unsent_ids(outbox) == [second]  # the next term sends it


async def test_a_seller_with_a_backlog_does_not_hold_up_the_others(outbox):
    sender = NoticeSender(outbox=outbox, max_in_flight=10, max_per_seller=3, pace_seconds=0.0, poll_seconds=0.05)
    carrier = Carrier()
    await write(outbox, [notice(f"ORD-{n}", "SLOW") for n in range(8)] + [notice("ORD-X", "OTHER")])
    term = asyncio.create_task(sender.run(carrier))
    try:
        await wait_for(lambda: len(carrier.taken) == 4)
        await asyncio.sleep(0.2)
        assert [n.seller_id for n in carrier.taken] == ["SLOW", "SLOW", "SLOW", "OTHER"]
        sender.settled(carrier.taken[0])
        await wait_for(lambda: len(carrier.taken) == 5)
        assert carrier.taken[4].order_req_id == "ORD-3"  # the next of that seller's, in order
    finally:
        term.cancel()
        await asyncio.gather(term, return_exceptions=True)


async def test_a_row_of_an_unknown_kind_is_set_aside_not_retried_for_ever(outbox):
    async with write_session(outbox._sessions) as session:
        await session.execute(insert(SellerNoticeRow), [{
            "order_req_id": "ORD-1", "seller_id": "S-1", "kind": "from_a_newer_version", "text": "?",
            "created_at": utcnow()}])
    await write(outbox, [notice("ORD-1", "S-1")])
    sender = NoticeSender(outbox=outbox, max_in_flight=10, max_per_seller=10, pace_seconds=0.0, poll_seconds=0.05)
    carrier = Carrier()
    term = asyncio.create_task(sender.run(carrier))
    try:
        await wait_for(lambda: len(carrier.taken) == 1)
        assert carrier.taken[0].kind is NoticeKind.INVITATION
        assert len(await unsent_ids(outbox)) == 1  # the unreadable one is stamped aside
    finally:
        term.cancel()
        await asyncio.gather(term, return_exceptions=True)


async def wait_for_async(read, expected, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while await read() != expected:
            await asyncio.sleep(0.02)
