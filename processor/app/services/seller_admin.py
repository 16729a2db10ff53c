"""The admin's seller directory: records created, replaced, deactivated, imported, and seller
tokens issued. Production accepts Chat webhooks only under GCHAT_WEBHOOK_ALLOWED_PREFIXES, so a
seller record cannot turn the Processor into a client of any URL."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from processor.app.store.seller_directory import SellerDirectory, SellerRecord
from shared.auth import Role, TokenSigner
from shared.errors import Conflict, InvalidInput, NotFound
from shared.models.common import utcnow

log = logging.getLogger(__name__)


async def warn_of_shared_spaces(directory: SellerDirectory) -> None:
    """Sellers sharing a Chat space see each other's cards and seller-page links: said, by seller id
    only (a webhook URL holds its space's key and token)."""
    for sellers in await directory.sharing_a_space():
        log.warning("sellers %s share one Google Chat space: each sees the others' notices and their "
                    "seller-page links (docs/security.md#seller-links)", ", ".join(sellers[:10]))


class SellerAdmin:
    def __init__(
        self, *, directory: SellerDirectory, tokens: TokenSigner, token_hours: float,
        webhook_allowed: Callable[[str | None], bool],
    ) -> None:
        self._directory = directory
        self._tokens = tokens
        self._token_hours = token_hours
        self._webhook_allowed = webhook_allowed

    async def page(self, *, industry: str | None, active: bool | None, limit: int,
                   offset: int) -> tuple[list[SellerRecord], int]:
        return await self._directory.page(industry=industry, active=active, limit=limit, offset=offset)

    async def get(self, seller_id: str) -> SellerRecord:
        return await self._directory.get(seller_id)

    async def create(self, record: SellerRecord) -> SellerRecord:
        try:
            await self._directory.get(record.seller_id)
        except NotFound:
            await self.save([record])
            return record
        raise Conflict(f"seller {record.seller_id} already exists; PUT /api/v1/sellers/{record.seller_id} replaces it")

    async def replace(self, seller_id: str, record: SellerRecord) -> SellerRecord:
        if record.seller_id != seller_id:
            raise InvalidInput(f"seller_id in the body ({record.seller_id}) differs from the path ({seller_id})",
                               field="seller_id")
        await self.save([record])
        return record

    async def save(self, records: list[SellerRecord]) -> int:
        """Create or replace every record (none, if one's webhook is refused); how many were written."""
        for record in records:
            if not self._webhook_allowed(record.gchat_webhook):
                raise InvalidInput(f"seller {record.seller_id}: gchat_webhook must start with one of "
                                   "GCHAT_WEBHOOK_ALLOWED_PREFIXES", field="gchat_webhook")
        written = await self._directory.upsert(records)
        await warn_of_shared_spaces(self._directory)
        return written

    async def deactivate(self, seller_id: str) -> SellerRecord:
        return await self._directory.deactivate(seller_id)

    async def issue_token(self, seller_id: str) -> tuple[str, datetime]:
        """A bearer token for an active seller, and when it expires."""
        if not (await self._directory.get(seller_id)).active:
            raise Conflict(f"seller {seller_id} is deactivated")
        token = self._tokens.issue(Role.SELLER, seller_id, ttl_seconds=self._token_hours * 3600)
        return token, utcnow() + timedelta(hours=self._token_hours)
