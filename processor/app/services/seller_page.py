"""The seller page's reads (issue 17): one order as one seller sees it — the invitation, its own
proposals, and the timeline of what it may see (domain/seller_view.py) — and that timeline live."""
from __future__ import annotations

from collections import Counter
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

from pydantic import Field

from processor.app.domain.seller_view import seller_event
from processor.app.services.seller_links import SellerLinks, SellerSession
from processor.app.store.event_log import EventLog
from processor.app.store.seller_directory import SellerDirectory
from processor.app.store.seller_views import InvitationView, SellerProposalView, SellerViews
from shared.errors import Forbidden, TooManyRequests
from shared.models.common import ApiModel
from shared.models.events import ProposalPayload

PAGE = 500
MAX_STREAMS = 4  # per seller and order in one process: a page, a reload, another tab or two


class SellerOrderView(ApiModel):
    order: InvitationView = Field(alias="Order")
    proposals: list[SellerProposalView] = Field(alias="Proposals", description="This seller's, on this order")
    timeline: list[dict[str, Any]] = Field(alias="Timeline", description="What this seller may see, in order")
    last_seq: int = Field(alias="LastSeq", description="Resume the event stream after this seq")


class SellerPage:
    def __init__(self, views: SellerViews, events: EventLog, links: SellerLinks, directory: SellerDirectory) -> None:
        self._views = views
        self._events = events
        self._links = links
        self._directory = directory
        self._streams: Counter[tuple[str, str]] = Counter()

    async def open_stream(self, seller_id: str, order_req_id: str) -> None:
        """Before a live stream of the seller's order: 404 unless it is invited, 429 beyond MAX_STREAMS
        open (each holds a reader of the event log)."""
        await self._views.invitation(seller_id, order_req_id)
        if self._streams[seller_id, order_req_id] >= MAX_STREAMS:
            raise TooManyRequests(f"{MAX_STREAMS} streams of order {order_req_id} are open for seller {seller_id}; "
                                  "close one first")

    async def open_session(self, link: str) -> SellerSession:
        """The session a Chat card's link opens: for a seller still active and invited to the order."""
        claims = self._links.verify(link)
        if not (await self._directory.get(claims.seller_id)).active:
            raise Forbidden(f"seller {claims.seller_id} is deactivated")
        await self._views.invitation(claims.seller_id, claims.order_req_id)
        return self._links.session(claims)

    async def order(self, seller_id: str, order_req_id: str) -> SellerOrderView:
        invitation = await self._views.invitation(seller_id, order_req_id)  # 404 unless invited
        proposals = await self._views.proposals(seller_id, order_req_id)
        own = {p.proposal_id for p in proposals}
        timeline: list[dict[str, Any]] = []
        after = 0
        while batch := await self._events.read_after(order_req_id, after, PAGE):
            timeline += [e for event in batch if (e := seller_event(event, seller_id, own)) is not None]
            after = batch[-1].seq
        # The last seq this seller saw, not the order's: that would count its rivals' moves.
        last_seen = timeline[-1]["Seq"] if timeline else 0
        return SellerOrderView(order=invitation, proposals=proposals, timeline=timeline, last_seq=last_seen)

    async def follow(self, seller_id: str, order_req_id: str, after_seq: int) -> AsyncGenerator[dict[str, Any]]:
        """The seller's timeline after `after_seq`, live, until the order ends (call `open_stream`
        first: it checks the invitation)."""
        own = {p.proposal_id for p in await self._views.proposals(seller_id, order_req_id)}
        key = (seller_id, order_req_id)
        self._streams[key] += 1
        try:
            async for entry in self._follow(seller_id, order_req_id, after_seq, own):
                yield entry
        finally:
            self._streams[key] -= 1
            if not self._streams[key]:
                del self._streams[key]

    async def _follow(self, seller_id: str, order_req_id: str, after_seq: int,
                      own: set[str]) -> AsyncGenerator[dict[str, Any]]:
        async with aclosing(self._events.follow(order_req_id, after_seq)) as events:
            async for event in events:
                if isinstance(event.payload, ProposalPayload) and event.payload.seller_id == seller_id:
                    own.add(event.payload.proposal_id)  # one it sends while the page is open
                if (entry := seller_event(event, seller_id, own)) is not None:
                    yield entry
