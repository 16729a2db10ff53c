"""FastAPI dependencies: each route's one collaborator, from the lifespan-built Processor
(`app.state.processor`), as Annotated aliases. The container itself is not handed to routes."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials

from processor.app.adapters.google_chat import ChatStats
from processor.app.services.edit_locks import EditLockService
from processor.app.services.followups import FollowUpService
from processor.app.services.orders import OrderService
from processor.app.services.proposals import ProposalService
from processor.app.services.seller_admin import SellerAdmin
from processor.app.services.seller_links import SellerLinks
from processor.app.services.seller_page import SellerPage
from processor.app.store.seller_views import SellerViews
from shared.auth import Principal
from shared.auth.http import bearer_scheme

# Every dependency is `async def`: FastAPI runs a plain `def` one in a worker thread, a thread
# hop per dependency per request (a measurable share of a proposal's cost, docs/performance.md).


async def get_proposals(request: Request) -> ProposalService:
    return request.app.state.processor.proposals


async def get_edit_locks(request: Request) -> EditLockService:
    return request.app.state.processor.edit_locks


async def get_followups(request: Request) -> FollowUpService:
    return request.app.state.processor.followups


async def get_orders(request: Request) -> OrderService:
    return request.app.state.processor.orders


async def get_seller_views(request: Request) -> SellerViews:
    return request.app.state.processor.seller_views


async def get_seller_admin(request: Request) -> SellerAdmin:
    return request.app.state.processor.seller_admin


async def get_seller_page(request: Request) -> SellerPage:
    return request.app.state.processor.seller_page


async def get_seller_links(request: Request) -> SellerLinks:
    return request.app.state.processor.seller_links


async def get_notice_stats(request: Request) -> ChatStats:
    return request.app.state.processor.chat.stats


async def get_seller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
) -> Principal:
    """The calling seller (anyone, while authentication is off)."""
    return request.app.state.processor.sellers_auth.authenticate(credentials.credentials if credentials else None)


async def require_admin(request: Request, x_admin_key: Annotated[str | None, Header()] = None) -> None:
    """The seller directory's admin API: X-Admin-Key must be ADMIN_API_KEY."""
    request.app.state.processor.require_admin(x_admin_key)


SellerDep = Annotated[Principal, Depends(get_seller)]
ProposalsDep = Annotated[ProposalService, Depends(get_proposals)]
EditLocksDep = Annotated[EditLockService, Depends(get_edit_locks)]
FollowUpsDep = Annotated[FollowUpService, Depends(get_followups)]
OrdersDep = Annotated[OrderService, Depends(get_orders)]
SellerViewsDep = Annotated[SellerViews, Depends(get_seller_views)]
SellerAdminDep = Annotated[SellerAdmin, Depends(get_seller_admin)]
NoticeStatsDep = Annotated[ChatStats, Depends(get_notice_stats)]
SellerPageDep = Annotated[SellerPage, Depends(get_seller_page)]
SellerLinksDep = Annotated[SellerLinks, Depends(get_seller_links)]
