"""_SelectSellers: the directory's index, then great-circle order, then Google Distance Matrix."""
from __future__ import annotations

import logging

from processor.app.domain.selection import (
    DistanceMatrixError,
    RoadDistances,
    Selection,
    SellerCandidate,
    by_directory_order,
    by_great_circle,
    great_circle_selection,
    no_seller_reason,
    road_selection,
)
from processor.app.store.seller_directory import SellerDirectory
from shared.models.orders import Location, OrderDetails

log = logging.getLogger(__name__)
INITIAL_RADIUS_KM = 25.0


class SellerSelector:
    def __init__(
        self,
        directory: SellerDirectory,
        distances: RoadDistances | None,
        *,
        find_max_sel: int,
        search_radius_km: float,
        google_candidates: int,
    ) -> None:
        self._directory = directory
        self._distances = distances
        self._find_max_sel = find_max_sel
        self._radius_km = search_radius_km
        self._google_candidates = google_candidates

    def why_none(self, details: OrderDetails) -> str:
        """The order's reason when no seller was found, naming what was searched."""
        return no_seller_reason(details, self._radius_km)

    async def select(self, details: OrderDetails) -> Selection:
        limit = min(details.max_sellers or self._find_max_sel, self._find_max_sel)
        if details.location is None:
            return by_directory_order(await self._directory.first_by_id(details.industry, limit), limit)
        origin = details.location
        wanted = limit if self._distances is None else max(limit, self._google_candidates)
        ranked = await self._nearest(details.industry, origin, wanted)
        if self._distances is None or not ranked:
            return great_circle_selection(ranked, limit, "" if ranked else "nobody within the radius")
        pool = ranked[:wanted]
        try:
            roads = await self._distances.distances((origin.lat, origin.lng), [(c.lat, c.lng) for _, c in pool])
        except DistanceMatrixError as exc:
            log.warning("Distance Matrix failed (%s); ranking by great-circle distance", exc)
            return great_circle_selection(ranked, limit, f"Google Distance Matrix failed: {exc}")
        return road_selection(pool, roads, limit)

    async def _nearest(
        self, industry: str | None, origin: Location, wanted: int
    ) -> list[tuple[float, SellerCandidate]]:
        """The `wanted` nearest within SEARCH_RADIUS_KM, reading as few index rows as it can.

        Search a small circle first and double it until it holds `wanted` sellers (or is the
        whole radius): everything inside a circle was considered, so its nearest are the nearest.
        """
        radius = min(self._radius_km, INITIAL_RADIUS_KM)
        while True:
            near = await self._directory.near(industry, origin.lat, origin.lng, radius)
            ranked = by_great_circle(near, origin, radius)
            if len(ranked) >= wanted or radius >= self._radius_km:
                return ranked
            radius = min(self._radius_km, radius * 2)
