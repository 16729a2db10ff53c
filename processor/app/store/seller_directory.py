"""The seller directory: records, bulk import, and the indexed look-ups selection needs."""
from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable
from pathlib import Path

from pydantic import Field, TypeAdapter, field_validator
from sqlalchemy import Select, and_, delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from processor.app.domain.selection import SellerCandidate
from processor.app.store.tables import Seller, SellerIndustry
from shared.db.engine import write_session
from shared.errors import InvalidInput, NotFound
from shared.models.common import Identifier, NulFree
from shared.utils.geo import EARTH_RADIUS_KM

ANY_INDUSTRY = "*"
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180
CHUNK = 500


class SellerRecord(NulFree):  # PostgreSQL text cannot hold a NUL: a 422 here, not a database error
    seller_id: Identifier
    name: str = Field(min_length=1, max_length=200)
    industries: list[str] = Field(min_length=1, max_length=50)
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    # No whitespace, control or invisible format characters anywhere (a URL has none): ".../x\n" would
    # pass a prefix check and then be refused as a URL when a notice is routed.
    gchat_webhook: str | None = Field(
        None, max_length=2048, pattern=r"^https?://[^\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]+$")
    active: bool = True

    @field_validator("industries")
    @classmethod
    def _normalised(cls, value: list[str]) -> list[str]:
        cleaned = list(dict.fromkeys(i.strip().casefold() for i in value if i.strip()))
        if not cleaned or any(len(i) > 64 or i == ANY_INDUSTRY for i in cleaned):
            raise ValueError("industries: 1 to 50 names of at most 64 characters")
        return cleaned


RECORDS = TypeAdapter(list[SellerRecord])


def read_sellers_file(path: Path) -> list[SellerRecord]:
    return RECORDS.validate_python(json.loads(path.read_text(encoding="utf-8")))


def parse_csv(text: str) -> list[SellerRecord]:
    """CSV with a header: seller_id,name,industries,lat,lng[,gchat_webhook,active]; industries split by ';'."""
    rows = []
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            rows.append({
                **{k: v for k, v in row.items() if v not in (None, "")},
                "industries": (row.get("industries") or "").split(";"),
                "active": (row.get("active") or "true").strip().lower() not in ("false", "0", "no"),
            })
        except AttributeError as exc:
            raise InvalidInput(f"CSV line {line}: {exc}") from None
    return RECORDS.validate_python(rows)


def bounding_box(lat: float, lng: float, radius_km: float) -> tuple[float, float, list[tuple[float, float]]]:
    """(lat_min, lat_max, [(lng_min, lng_max), ...]): one lng range, two across the antimeridian."""
    dlat = radius_km / KM_PER_DEGREE
    lat_min, lat_max = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    cos_lat = math.cos(math.radians(max(abs(lat_min), abs(lat_max))))
    if lat_max >= 90 or lat_min <= -90 or cos_lat < 1e-6 or radius_km / (KM_PER_DEGREE * cos_lat) >= 180:
        return lat_min, lat_max, [(-180.0, 180.0)]
    dlng = radius_km / (KM_PER_DEGREE * cos_lat)
    low, high = lng - dlng, lng + dlng
    if low < -180:
        return lat_min, lat_max, [(low + 360, 180.0), (-180.0, high)]
    if high > 180:
        return lat_min, lat_max, [(low, 180.0), (-180.0, high - 360)]
    return lat_min, lat_max, [(low, high)]


class SellerDirectory:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def upsert(self, records: Iterable[SellerRecord], *, keep_deactivated: bool = False) -> int:
        """Create or replace sellers (and their index rows) in one transaction. `keep_deactivated`:
        a seller already deactivated stays so (a file loaded at start never undoes an admin)."""
        records = list({r.seller_id: r for r in records}.values())
        async with write_session(self._sessions) as session:
            if keep_deactivated:
                deactivated = set((await session.scalars(select(Seller.seller_id).where(
                    Seller.seller_id.in_([r.seller_id for r in records]), Seller.active.is_(False)))).all())
                records = [r.model_copy(update={"active": False}) if r.seller_id in deactivated else r
                           for r in records]
            for start in range(0, len(records), CHUNK):
                chunk = records[start:start + CHUNK]
                ids = [r.seller_id for r in chunk]
                await session.execute(delete(SellerIndustry).where(SellerIndustry.seller_id.in_(ids)))
                await session.execute(delete(Seller).where(Seller.seller_id.in_(ids)))
                await session.execute(insert(Seller), [r.model_dump() for r in chunk])
                index_rows = [
                    {"industry": industry, "seller_id": r.seller_id, "lat": r.lat, "lng": r.lng}
                    for r in chunk if r.active for industry in (*r.industries, ANY_INDUSTRY)
                ]
                if index_rows:
                    await session.execute(insert(SellerIndustry), index_rows)
        return len(records)

    async def sharing_a_space(self) -> list[list[str]]:
        """Active sellers whose Chat webhook is the same (each group by seller id): each would see the
        others' cards, and the seller-page links in them."""
        async with self._sessions() as session:
            rows = (await session.execute(
                select(Seller.gchat_webhook, Seller.seller_id)
                .where(Seller.active.is_(True), Seller.gchat_webhook.is_not(None)).order_by(Seller.seller_id)
            )).all()
        groups: dict[str, list[str]] = {}
        for webhook, seller_id in rows:
            groups.setdefault(webhook, []).append(seller_id)
        return [ids for ids in groups.values() if len(ids) > 1]

    async def get(self, seller_id: str) -> SellerRecord:
        async with self._sessions() as session:
            seller = await session.get(Seller, seller_id)
        if seller is None:
            raise NotFound(f"seller {seller_id} not found")
        return _record(seller)

    async def deactivate(self, seller_id: str) -> SellerRecord:
        record = await self.get(seller_id)
        await self.upsert([record.model_copy(update={"active": False})])
        return record.model_copy(update={"active": False})

    async def page(
        self, *, industry: str | None, active: bool | None, limit: int, offset: int
    ) -> tuple[list[SellerRecord], int]:
        """One page of sellers by id, and how many match in all."""
        query = select(Seller)
        if industry:
            query = query.where(Seller.seller_id.in_(
                select(SellerIndustry.seller_id).where(SellerIndustry.industry == industry.casefold())))
        if active is not None:
            query = query.where(Seller.active.is_(active))
        async with self._sessions() as session:
            total = await session.scalar(select(func.count()).select_from(query.subquery()))
            rows = (await session.scalars(query.order_by(Seller.seller_id).limit(limit).offset(offset))).all()
        return [_record(s) for s in rows], total or 0

    async def webhooks(self, seller_ids: list[str]) -> dict[str, str | None]:
        """Each seller's Google Chat webhook (absent: unknown seller)."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(Seller.seller_id, Seller.gchat_webhook).where(Seller.seller_id.in_(seller_ids)))
        return dict(rows.all())

    async def first_by_id(self, industry: str | None, limit: int) -> list[SellerCandidate]:
        query = (
            select(SellerIndustry.seller_id, Seller.name, SellerIndustry.lat, SellerIndustry.lng)
            .join(Seller, Seller.seller_id == SellerIndustry.seller_id)
            .where(SellerIndustry.industry == _industry_key(industry))
            .order_by(SellerIndustry.seller_id).limit(limit)
        )
        return await self._candidates(query)

    async def near(self, industry: str | None, lat: float, lng: float, radius_km: float) -> list[SellerCandidate]:
        """Active sellers of the industry inside the bounding box of the radius (an index range)."""
        lat_min, lat_max, lng_ranges = bounding_box(lat, lng, radius_km)
        query = (
            select(SellerIndustry.seller_id, Seller.name, SellerIndustry.lat, SellerIndustry.lng)
            .join(Seller, Seller.seller_id == SellerIndustry.seller_id)
            .where(
                SellerIndustry.industry == _industry_key(industry),
                SellerIndustry.lat.between(lat_min, lat_max),
                or_(*(and_(SellerIndustry.lng >= low, SellerIndustry.lng <= high) for low, high in lng_ranges)),
            )
        )
        return await self._candidates(query)

    async def _candidates(self, query: Select[str, str, float, float]) -> list[SellerCandidate]:
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        return [SellerCandidate(seller_id, name, lat, lng) for seller_id, name, lat, lng in rows]


def _industry_key(industry: str | None) -> str:
    return industry.strip().casefold() if industry else ANY_INDUSTRY


def _record(seller: Seller) -> SellerRecord:
    return SellerRecord(
        seller_id=seller.seller_id, name=seller.name, industries=seller.industries, lat=seller.lat,
        lng=seller.lng, gchat_webhook=seller.gchat_webhook, active=seller.active,
    )
