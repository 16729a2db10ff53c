"""New proposals that arrive together are decided together (ProposalIntake): same answers as one
at a time, the log stays gapless, and fewer statements are run than proposals."""
import asyncio

import pytest
from sqlalchemy import event

from processor.app.services.proposal_intake import ProposalIntake
from tests.conftest import processor_of
from tests.processor.test_rest import open_order, post, proposal

pytestmark = pytest.mark.usefixtures("db_backend")


def count_inserts(processor, table: str) -> list[int]:
    """A counter of INSERT statements into `table` (one per executemany)."""
    seen = [0]

    @event.listens_for(processor_of(processor).engine.sync_engine, "before_cursor_execute")
    def _count(_conn, _cursor, statement, _params, _context, _executemany):
        if statement.startswith(f"INSERT INTO {table} "):
            seen[0] += 1

    return seen


async def test_concurrent_submissions_get_the_answers_of_one_at_a_time(processor):
    await open_order(processor, "ORD-1")
    await open_order(processor, "ORD-2")
    await processor_of(processor).orders.pause("ORD-2")
    inserts = count_inserts(processor, "order_events")
    new = [proposal("ORD-1", f"SELLER-{1 + n % 10:03d}", f"PROP-{n}", 100.0 + n) for n in range(40)]
    twice = [proposal("ORD-1", "SELLER-003", "PROP-TWICE", price) for price in (50.0, 60.0)]
    refused = [proposal("ORD-1", "SELLER-059", "PROP-X"), proposal("ORD-404", pid="PROP-Y"),
               proposal("ORD-2", pid="PROP-Z")]

    answers = await asyncio.gather(*(post(processor, "proposal-submissions", body) for body in new + twice + refused))

    assert [a.status_code for a in answers[:40]] == [201] * 40
    assert sorted((a.status_code, a.json()["Result"], a.json()["Revision"]) for a in answers[40:42]) == [
        (200, "updated", 2), (201, "created", 1)]
    assert [(a.status_code, a.json()["detail"]["reason"]) for a in answers[42:]] == [
        (404, "order ORD-1 not found"),  # SELLER-059 was not invited: as if unknown (issue 14)
        (404, "order ORD-404 not found"),
        (409, "order ORD-2 is Paused: cannot accept proposals"),
    ]
    log = await processor_of(processor).events.read_after("ORD-1", 0, limit=1000)
    assert [e.seq for e in log] == list(range(1, len(log) + 1))  # no gap, no duplicate
    proposal_events = [e for e in log if e.payload.__class__.__name__ == "ProposalPayload"]
    assert len(proposal_events) == 42  # 41 proposals created, one of them updated once
    assert sorted(a.json()["Seq"] for a in answers[:42]) == [e.seq for e in proposal_events]
    assert inserts[0] < 42, "the 42 events were written one statement each: nothing was batched"


async def test_a_batch_that_cannot_be_written_is_retried_one_at_a_time(processor, monkeypatch):
    await open_order(processor, "ORD-1")

    async def fail(self, submissions):
        raise RuntimeError("the database went away mid-batch")

    monkeypatch.setattr(ProposalIntake, "_write", fail)
    answers = await asyncio.gather(*(
        post(processor, "proposal-submissions", proposal("ORD-1", f"SELLER-{1 + n:03d}", f"PROP-{n}"))
        for n in range(5)))
    assert [a.status_code for a in answers] == [201] * 5
    log = await processor_of(processor).events.read_after("ORD-1", 0)
    assert sum(e.event_type == "ProposalSubmissions" for e in log) == 5
