"""Seller selection rules, as pure functions over candidates the directory found (_SelectSellers,
in seller_selection.py, applies them).

1. Active sellers of the order's industry (all industries when it names none).
2. No location: the first by seller id — deterministic, source "directory".
3. With a location: great-circle distance within SEARCH_RADIUS_KM, nearest first; the nearest
   DISTANCE_MATRIX_CANDIDATES are then ranked by Google Distance Matrix (duration, then road
   distance); sellers Google finds no route to follow, by great-circle distance. When Google is
   not configured or fails, great-circle order stands, and the selection says so.
4. Keep min(MaxSellers, FIND_MAX_SEL).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from shared.models.orders import Location, OrderDetails, RankingSource, SelectedSeller
from shared.utils.geo import haversine_km

# The port road distances come through (Google Distance Matrix is its adapter: adapters/).
Point = tuple[float, float]  # (lat, lng)


@dataclass(frozen=True)
class RoadDistance:
    status: str  # the element's status: OK, ZERO_RESULTS, NOT_FOUND, ...
    distance_m: int | None = None
    duration_s: int | None = None


class DistanceMatrixError(Exception):
    """Road distances could not be had (after retries): selection falls back to great-circle distance."""


class RoadDistances(Protocol):
    async def distances(self, origin: Point, destinations: list[Point]) -> list[RoadDistance]:
        """One RoadDistance per destination, in order; DistanceMatrixError when there are none."""


@dataclass(frozen=True, slots=True)
class SellerCandidate:
    seller_id: str
    name: str
    lat: float
    lng: float


@dataclass(frozen=True)
class Selection:
    sellers: list[SelectedSeller]
    ranking_source: RankingSource
    note: str = ""


def by_directory_order(candidates: list[SellerCandidate], limit: int) -> Selection:
    chosen = sorted(candidates, key=lambda c: c.seller_id)[:limit]
    return Selection(
        [SelectedSeller(seller_id=c.seller_id, name=c.name, rank=r, source="directory")
         for r, c in enumerate(chosen, 1)],
        "directory",
    )


def by_great_circle(
    candidates: list[SellerCandidate], origin: Location, radius_km: float
) -> list[tuple[float, SellerCandidate]]:
    """(km, candidate) within the radius, nearest first (ties by seller id)."""
    ranked = sorted(
        ((haversine_km(origin.lat, origin.lng, c.lat, c.lng), c) for c in candidates),
        key=lambda t: (t[0], t[1].seller_id),
    )
    return [(km, c) for km, c in ranked if km <= radius_km]


def great_circle_selection(ranked: list[tuple[float, SellerCandidate]], limit: int, note: str = "") -> Selection:
    return Selection(
        [
            SelectedSeller(seller_id=c.seller_id, name=c.name, rank=r, distance_km=round(km, 3), source="haversine")
            for r, (km, c) in enumerate(ranked[:limit], 1)
        ],
        "haversine",
        note,
    )


def road_selection(pool: list[tuple[float, SellerCandidate]], roads: list[RoadDistance], limit: int) -> Selection:
    routable: list[tuple[RoadDistance, int, SellerCandidate]] = []  # (road, metres, candidate)
    unroutable: list[tuple[float, SellerCandidate]] = []  # (km, candidate)
    for road, (km, c) in zip(roads, pool, strict=True):  # one road per candidate, in order
        if road.status == "OK" and road.distance_m is not None:
            routable.append((road, road.distance_m, c))
        else:
            unroutable.append((km, c))
    # Quickest first (no duration: last), then shortest, then by id.
    routable.sort(key=lambda t: (float("inf") if t[0].duration_s is None else t[0].duration_s, t[1], t[2].seller_id))
    chosen: list[SelectedSeller] = [
        SelectedSeller(seller_id=c.seller_id, name=c.name, rank=0, distance_km=metres / 1000,
                       duration_s=road.duration_s, source="google")
        for road, metres, c in routable
    ] + [
        SelectedSeller(seller_id=c.seller_id, name=c.name, rank=0, distance_km=round(km, 3), source="haversine")
        for km, c in unroutable
    ]
    for rank, seller in enumerate(chosen, 1):
        seller.rank = rank
    note = f"{len(unroutable)} without a road route ranked by great-circle distance" if unroutable else ""
    return Selection(chosen[:limit], "google", note)


def no_seller_reason(details: OrderDetails, radius_km: float) -> str:
    parts = ["no active seller"]
    if details.industry:
        parts.append(f"in industry '{details.industry}'")
    if details.location:
        parts.append(f"within {radius_km:g} km of ({details.location.lat}, {details.location.lng})")
    return " ".join(parts)

