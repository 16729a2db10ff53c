"""The seller page's API (issue 17): a Chat card's link traded for a session, and one order as
that seller sees it, now and live. The page itself is static: /seller/ (processor/app/web)."""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Response
from pydantic import Field
from sse_starlette import EventSourceResponse, ServerSentEvent

from processor.app.api.deps import SellerDep, SellerLinksDep, SellerPageDep, SellerViewsDep, require_admin
from processor.app.services.seller_page import SellerOrderView
from shared.errors import Conflict
from shared.models.common import MAX_SQL_INT, ApiModel, Identifier
from shared.utils.http_errors import error_responses

router = APIRouter(tags=["seller page"])
admin_router = APIRouter(prefix="/admin", tags=["seller directory (admin)"], dependencies=[Depends(require_admin)])
PING_SECONDS = 15
SellerId = Annotated[Identifier, Path(description="The seller's id")]


class SessionRequest(ApiModel):
    link: str = Field(alias="Link", min_length=1, max_length=4096, description="The `link` in the card URL's fragment")


class SessionAnswer(ApiModel):
    token: str = Field(alias="Token", description="A seller bearer token for this order only")
    seller_id: str = Field(alias="SellerID")
    order_req_id: str = Field(alias="OrderReqID")
    expires_at: int = Field(alias="ExpiresAt", description="Epoch seconds")


@router.post("/seller-sessions", response_model=SessionAnswer, summary="Trade a seller link for a session",
             description="The link from a Chat card (the URL fragment's `link`): signed, for one seller and one "
                         "order, expiring. The answer's token acts as that seller on that order only.",
             responses=error_responses(401, 403, 404, 422))
async def open_session(
    page: SellerPageDep, response: Response,
    body: SessionRequest = Body(examples=[{"Link": "eyJhbGciOiJIUzI1NiIsImtpZCI6ImRldiJ9.…"}]),
) -> SessionAnswer:
    session = await page.open_session(body.link)
    response.headers["Cache-Control"] = "no-store"  # a credential: kept by no cache, nor as an Idempotency-Key answer
    return SessionAnswer(token=session.token, seller_id=session.seller_id, order_req_id=session.order_req_id,
                         expires_at=session.expires_at)


class LinkRequest(ApiModel):
    seller_id: Identifier = Field(alias="SellerID")
    order_req_id: Identifier = Field(alias="OrderReqID")


class LinkAnswer(ApiModel):
    url: str = Field(alias="URL", description="The seller page, the link in its fragment: for that seller only")


@admin_router.post("/seller-links", response_model=LinkAnswer, summary="A seller page link, for a seller without Chat",
                   description="What the Chat card's button carries, for handing to an invited seller another way "
                               "(header `X-Admin-Key`). 404 unless the seller is invited to the order; 409 without "
                               "`SELLER_PAGE_URL`.",
                   responses=error_responses(403, 404, 409, 422))
async def seller_link(links: SellerLinksDep, views: SellerViewsDep,
                      body: LinkRequest = Body(examples=[{"SellerID": "SELLER-001", "OrderReqID": "ORD-001"}]),
                      ) -> LinkAnswer:
    await views.invitation(body.seller_id, body.order_req_id)  # invited, or the same 404 as an unknown order
    url = links.link(body.seller_id, body.order_req_id)
    if url is None:
        raise Conflict("SELLER_PAGE_URL is not set: there is no seller page to link to")
    return LinkAnswer(url=url)


@router.get("/orders/{order_req_id}/sellers/{seller_id}", response_model=SellerOrderView,
            summary="One order as this seller sees it: invitation, own proposals, its timeline",
            responses=error_responses(401, 403, 404))
async def seller_order(order_req_id: Identifier, seller_id: SellerId, page: SellerPageDep,
                       seller: SellerDep) -> SellerOrderView:
    seller.require_seller(seller_id, order_req_id)
    return await page.order(seller_id, order_req_id)


@router.get("/orders/{order_req_id}/sellers/{seller_id}/events", response_class=EventSourceResponse,
            summary="This seller's timeline of the order, live (text/event-stream)",
            description="Each event is one `Timeline` entry, its `id` the seq; read it with the "
                        "`Authorization` header (fetch), resume after `LastSeq` or the last id seen.",
            responses={200: {"content": {"text/event-stream": {}}}, **error_responses(401, 403, 404, 422)})
async def seller_order_events(
    order_req_id: Identifier, seller_id: SellerId, page: SellerPageDep, seller: SellerDep,
    after_seq: Annotated[int, Query(ge=0, le=MAX_SQL_INT, description="Start after this seq (LastSeq)")] = 0,
) -> EventSourceResponse:
    seller.require_seller(seller_id, order_req_id)
    await page.open_stream(seller_id, order_req_id)  # 404 or 429 before the stream starts, not inside it
    ends_at = None if seller.expires_at is None else asyncio.get_running_loop().time() + seller.expires_at - time.time()

    async def events() -> AsyncIterator[ServerSentEvent]:
        async with aclosing(page.follow(seller_id, order_req_id, after_seq)) as entries:
            while True:
                try:
                    async with asyncio.timeout_at(ends_at):  # the session ends: the page opens it again
                        entry = await anext(entries)
                except StopAsyncIteration:
                    return
                except TimeoutError:
                    yield ServerSentEvent(event="CredentialExpired", data="{}")
                    return
                yield ServerSentEvent(id=str(entry["Seq"]), event=entry["EventType"], data=json.dumps(entry))

    return EventSourceResponse(events(), ping=PING_SECONDS)
