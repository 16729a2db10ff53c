"""Seller selection among a generated national market, excluding Google (item P4 / issue 4).

    python -m bench.selection [--sellers 100000] [--orders 200] [--postgres URL]

Generates sellers over the continental US in 12 industries, loads them through the directory
(the same upsert the admin import uses), then times `SellerSelector.select()` for orders at
random places: index look-up + great-circle ranking + cap, with Google not configured. Reports
the distribution, and how many Distance Matrix requests the same orders would have cost
(ceil(candidates / 25) each). A script, not a test: rerun it, compare runs made on one machine.
"""
from __future__ import annotations

import argparse
import asyncio
import math
import random
import statistics
import tempfile
import time

from processor.app.adapters.google_distance_matrix import MAX_DESTINATIONS
from processor.app.services.seller_selection import SellerSelector
from processor.app.store.seller_directory import SellerDirectory, SellerRecord
from processor.app.store.tables import Base
from shared.db.engine import make_engine, make_sessionmaker
from shared.models.orders import Location, OrderDetails

INDUSTRIES = ["construction", "electronics", "food", "furniture", "logistics", "textiles",
              "chemicals", "machinery", "paper", "plastics", "metals", "medical"]


def market(n: int, rng: random.Random) -> list[SellerRecord]:
    return [
        SellerRecord(seller_id=f"GEN-{i:06d}", name=f"Seller {i}",
                     industries=rng.sample(INDUSTRIES, rng.choice((1, 1, 2))),
                     lat=rng.uniform(25.0, 49.0), lng=rng.uniform(-124.0, -67.0))
        for i in range(n)
    ]


async def run(url: str, sellers: int, orders: int, radius_km: float, candidates: int) -> dict:
    rng = random.Random(7)
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    directory = SellerDirectory(make_sessionmaker(engine))
    started = time.perf_counter()
    await directory.upsert(market(sellers, rng))
    load_s = time.perf_counter() - started
    selector = SellerSelector(directory, None, find_max_sel=10, search_radius_km=radius_km,
                              google_candidates=candidates)
    timings, requests = [], []
    for _ in range(orders):
        details = OrderDetails(industry=rng.choice(INDUSTRIES),
                               location=Location(lat=rng.uniform(26, 48), lng=rng.uniform(-122, -70)))
        started = time.perf_counter()
        selection = await selector.select(details)
        timings.append((time.perf_counter() - started) * 1000)
        near = await directory.near(details.industry, details.location.lat, details.location.lng, radius_km)
        pool = min(len(near), max(10, candidates))
        requests.append(math.ceil(pool / MAX_DESTINATIONS))
        assert selection.sellers
    await engine.dispose()
    timings.sort()
    return {
        "load_s": load_s, "p50_ms": statistics.median(timings), "p90_ms": timings[int(len(timings) * 0.9)],
        "p99_ms": timings[int(len(timings) * 0.99)], "max_ms": timings[-1],
        "distance_matrix_requests_per_order": statistics.mean(requests),
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sellers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--radius-km", type=float, default=200)
    parser.add_argument("--candidates", type=int, default=20, help="DISTANCE_MATRIX_CANDIDATES")
    parser.add_argument("--postgres", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        targets = {"SQLite": f"sqlite+aiosqlite:///{tmp}/sellers.db"}
        if args.postgres:
            targets["PostgreSQL"] = args.postgres
        print(f"{args.sellers:,} sellers, {args.orders} orders, radius {args.radius_km:g} km, Google excluded")
        print(f"{'database':12} {'load s':>7} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'max ms':>7} "
              f"{'DM req/order':>13}")
        for name, url in targets.items():
            r = await run(url, args.sellers, args.orders, args.radius_km, args.candidates)
            print(f"{name:12} {r['load_s']:7.1f} {r['p50_ms']:7.2f} {r['p90_ms']:7.2f} {r['p99_ms']:7.2f} "
                  f"{r['max_ms']:7.2f} {r['distance_matrix_requests_per_order']:13.2f}")


if __name__ == "__main__":
    asyncio.run(main())
