"""_SelectSellers: which sellers are invited to quote for an order.

Rules, in order: active sellers only; industry match when the order names one; when it has a
location, great-circle distance within SEARCH_RADIUS_KM, nearest first; otherwise the directory
order (seller id), which makes the default deterministic. At most min(MaxSellers, FIND_MAX_SEL).
"""
from __future__ import annotations

from dataclasses import dataclass

from shared.models.orders import OrderDetails, RankingSource, SelectedSeller
from shared.utils.geo import haversine_km


@dataclass(frozen=True, slots=True)
class SellerCandidate:
    seller_id: str
    name: str
    industries: tuple[str, ...]
    lat: float
    lng: float


@dataclass(frozen=True)
class Selection:
    sellers: list[SelectedSeller]
    ranking_source: RankingSource


def select_sellers(
    candidates: list[SellerCandidate],
    details: OrderDetails,
    *,
    find_max_sel: int,
    search_radius_km: float,
) -> Selection:
    limit = min(details.max_sellers or find_max_sel, find_max_sel)
    industry = details.industry.casefold() if details.industry else None
    pool = [c for c in candidates if industry is None or industry in (i.casefold() for i in c.industries)]

    if details.location is None:
        chosen = sorted(pool, key=lambda c: c.seller_id)[:limit]
        return Selection(
            [SelectedSeller(seller_id=c.seller_id, name=c.name, rank=r, source="directory") for r, c in enumerate(chosen, 1)],
            "directory",
        )

    origin = details.location
    ranked = sorted(
        ((haversine_km(origin.lat, origin.lng, c.lat, c.lng), c.seller_id, c) for c in pool),
        key=lambda t: (t[0], t[1]),
    )
    within = [(d, c) for d, _, c in ranked if d <= search_radius_km][:limit]
    return Selection(
        [
            SelectedSeller(seller_id=c.seller_id, name=c.name, rank=r, distance_km=round(d, 3), source="haversine")
            for r, (d, c) in enumerate(within, 1)
        ],
        "haversine",
    )
