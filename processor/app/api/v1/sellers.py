"""The seller directory's admin API (header X-Admin-Key = ADMIN_API_KEY)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, Response, status
from pydantic import BaseModel, Field, ValidationError

from processor.app.api.deps import NoticeStatsDep, SellerAdminDep, require_admin
from processor.app.store.seller_directory import RECORDS, SellerRecord, parse_csv
from shared.errors import InvalidInput
from shared.models.common import MAX_SQL_INT, Identifier
from shared.utils.http_errors import error_responses

MAX_IMPORT_BYTES = 20 * 1024 * 1024


router = APIRouter(prefix="/sellers", tags=["seller directory (admin)"], dependencies=[Depends(require_admin)])
SellerId = Annotated[Identifier, "seller id"]
EXAMPLE = {"seller_id": "SELLER-901", "name": "Denver Builders", "industries": ["construction"],
           "lat": 39.7392, "lng": -104.9903, "gchat_webhook": None, "active": True}


class SellerPage(BaseModel):
    sellers: list[SellerRecord]
    total: int


class ImportResult(BaseModel):
    imported: int = Field(description="sellers created or replaced")


@router.get("", response_model=SellerPage, summary="List sellers", responses=error_responses(403))
async def list_sellers(
    admin: SellerAdminDep,
    industry: Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]*$")] = None,
    active: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_SQL_INT)] = 0,
) -> SellerPage:
    records, total = await admin.page(industry=industry, active=active, limit=limit, offset=offset)
    return SellerPage(sellers=records, total=total)


@router.get("/{seller_id}", response_model=SellerRecord, responses=error_responses(403, 404))
async def get_seller(seller_id: SellerId, admin: SellerAdminDep) -> SellerRecord:
    return await admin.get(seller_id)


@router.post("", response_model=SellerRecord, status_code=status.HTTP_201_CREATED, summary="Create a seller",
             responses=error_responses(403, 409, 422))
async def create_seller(admin: SellerAdminDep, body: SellerRecord = Body(examples=[EXAMPLE])) -> SellerRecord:
    return await admin.create(body)


@router.put("/{seller_id}", response_model=SellerRecord, summary="Create or replace a seller",
            responses=error_responses(403, 422))
async def put_seller(
    seller_id: SellerId, admin: SellerAdminDep, body: SellerRecord = Body(examples=[EXAMPLE])
) -> SellerRecord:
    return await admin.replace(seller_id, body)


@router.delete("/{seller_id}", response_model=SellerRecord, summary="Deactivate a seller (kept, no longer selected)",
               responses=error_responses(403, 404))
async def deactivate_seller(seller_id: SellerId, admin: SellerAdminDep) -> SellerRecord:
    return await admin.deactivate(seller_id)


class SellerToken(BaseModel):
    seller_id: str
    token: str = Field(description="send as Authorization: Bearer <token> to the Processor's seller API")
    expires_at: datetime


@router.post("/{seller_id}/token", response_model=SellerToken, status_code=status.HTTP_201_CREATED,
             summary="Issue a bearer token for an active seller (hand it to the seller once)",
             responses=error_responses(403, 404, 409))
async def issue_seller_token(seller_id: SellerId, admin: SellerAdminDep, response: Response) -> SellerToken:
    # A credential: no cache keeps it, nor does the Idempotency-Key store (it replays no-store answers to no one).
    response.headers["Cache-Control"] = "no-store"
    token, expires_at = await admin.issue_token(seller_id)
    return SellerToken(seller_id=seller_id, token=token, expires_at=expires_at)


@router.post(
    "/import",
    response_model=ImportResult,
    summary="Bulk import: a JSON array of sellers, or CSV (seller_id,name,industries,lat,lng[,gchat_webhook,active])",
    responses=error_responses(403, 422),
    openapi_extra={"requestBody": {"content": {
        "application/json": {"example": [EXAMPLE]},
        "text/csv": {"example": "seller_id,name,industries,lat,lng\n"
                                "SELLER-902,Reno Foods,food;logistics,39.53,-119.81\n"},
    }}},
)
async def import_sellers(request: Request, admin: SellerAdminDep) -> ImportResult:
    raw = await request.body()
    if len(raw) > MAX_IMPORT_BYTES:
        raise InvalidInput(f"import larger than {MAX_IMPORT_BYTES} bytes")
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    try:
        if content_type == "text/csv":
            records = parse_csv(raw.decode("utf-8"))
        elif content_type == "application/json":
            records = RECORDS.validate_json(raw)
        else:
            raise InvalidInput("send application/json (an array of sellers) or text/csv", field="content-type")
    except (ValidationError, UnicodeDecodeError) as exc:
        if isinstance(exc, ValidationError):
            first = exc.errors()[0]
            where, message = ".".join(str(p) for p in first["loc"]), first["msg"]
        else:
            where, message = "", str(exc)
        raise InvalidInput(f"{where}: {message}" if where else message, field=where or None) from None
    return ImportResult(imported=await admin.save(records))


class NoticeStats(BaseModel):
    sent: int
    retried: int
    failed: int
    skipped: int = Field(description="notices to sellers without a Chat webhook")
    dropped: int = Field(0, description="notices that found their queue full (GCHAT_MAX_QUEUED_PER_SPACE): "
                                        "never sent, recorded as failed")
    recent_failures: list[dict]


admin_router = APIRouter(prefix="/admin", tags=["seller directory (admin)"], dependencies=[Depends(require_admin)])


@admin_router.get("/notices", response_model=NoticeStats, summary="Google Chat notices: sent, retried, failed",
                  responses=error_responses(403))
async def notice_stats(stats: NoticeStatsDep) -> NoticeStats:
    return NoticeStats(sent=stats.sent, retried=stats.retried, failed=stats.failed, skipped=stats.skipped,
                       dropped=stats.dropped, recent_failures=list(stats.recent_failures))
