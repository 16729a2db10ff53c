"""The seller directory: seeded from SELLERS_FILE at start, read for selection."""
from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field, TypeAdapter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from processor.app.db.tables import Seller
from processor.app.services.select_sellers import SellerCandidate
from shared.models.common import Identifier


class SellerRecord(BaseModel):
    seller_id: Identifier
    name: str = Field(min_length=1, max_length=200)
    industries: list[str] = Field(min_length=1)
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    gchat_webhook: str | None = None
    active: bool = True


_RECORDS = TypeAdapter(list[SellerRecord])


def read_sellers_file(path: Path) -> list[SellerRecord]:
    return _RECORDS.validate_python(json.loads(path.read_text(encoding="utf-8")))


class SellerDirectory:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def upsert(self, records: list[SellerRecord]) -> int:
        async with self._sessions() as session, session.begin():
            for record in records:
                await session.merge(Seller(**record.model_dump()))
        return len(records)

    async def active_candidates(self) -> list[SellerCandidate]:
        async with self._sessions() as session:
            rows = (await session.scalars(select(Seller).where(Seller.active.is_(True)))).all()
        return [SellerCandidate(s.seller_id, s.name, tuple(s.industries), s.lat, s.lng) for s in rows]
