"""What the rules read and change on a row; the store's tables (store/tables.py) have these fields."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol


class OrderRow(Protocol):
    order_req_id: str
    session_id: str
    state: str
    reason: str
    expires_at: datetime
    last_seq: int
    details: dict[str, Any]


class ProposalRow(Protocol):
    proposal_id: str
    order_req_id: str
    seller_id: str
    state: str
    data: dict[str, Any]
    revision: int
    locks_taken: int
    updated_at: datetime
    last_seq: int


class EditLockRow(Protocol):
    token: str
    expires_at: datetime
