"""_SelectSellers: the rules (pure), the directory's index (both databases), Google and its fallback."""
import httpx
import pytest

from devtools.service_process import free_port
from processor.app.adapters.google_distance_matrix import DistanceMatrixClient, RoadDistance
from processor.app.config import DEMO_SELLERS_FILE
from processor.app.domain.selection import SellerCandidate, by_directory_order, by_great_circle, road_selection
from processor.app.services.seller_selection import SellerSelector
from processor.app.store.seller_directory import (
    SellerDirectory,
    SellerRecord,
    bounding_box,
    parse_csv,
    read_sellers_file,
)
from processor.app.store.tables import Base
from shared.db.engine import make_engine, make_sessionmaker
from shared.models.orders import Location, OrderDetails
from shared.utils.geo import haversine_km

NY = Location(lat=40.7128, lng=-74.0060)
BOSTON = SellerCandidate("S-BOSTON", "Boston", 42.3601, -71.0589)
NEWARK = SellerCandidate("S-NEWARK", "Newark", 40.7357, -74.1724)
LA = SellerCandidate("S-LA", "Los Angeles", 34.0522, -118.2437)


def test_great_circle_nearest_first_within_radius():
    ranked = by_great_circle([LA, BOSTON, NEWARK], NY, 1000)
    assert [c.seller_id for _, c in ranked] == ["S-NEWARK", "S-BOSTON"]
    assert 14 < ranked[0][0] < 16 and 300 < ranked[1][0] < 310


def test_directory_order_is_by_seller_id():
    selection = by_directory_order([NEWARK, LA, BOSTON], 2)
    assert [s.seller_id for s in selection.sellers] == ["S-BOSTON", "S-LA"] and selection.ranking_source == "directory"


def test_road_ranking_by_duration_unroutable_last_and_capped():
    pool = [(15.0, NEWARK), (306.0, BOSTON), (10.0, LA)]
    roads = [RoadDistance("OK", 20_000, 1800), RoadDistance("OK", 350_000, 900), RoadDistance("ZERO_RESULTS")]
    selection = road_selection(pool, roads, 3)
    assert [(s.seller_id, s.rank, s.source) for s in selection.sellers] == [
        ("S-BOSTON", 1, "google"), ("S-NEWARK", 2, "google"), ("S-LA", 3, "haversine")]
    assert selection.sellers[0].distance_km == 350.0 and selection.sellers[0].duration_s == 900
    assert selection.ranking_source == "google" and "1 without a road route" in selection.note
    assert len(road_selection(pool, roads, 1).sellers) == 1


@pytest.mark.parametrize("lat, lng, radius, expected_lngs", [
    (40.0, -74.0, 100, 1),
    (10.0, 179.5, 200, 2),     # across the antimeridian: two ranges
    (-10.0, -179.9, 50, 2),
    (89.5, 0.0, 100, 1),       # near the pole: every longitude
])
def test_bounding_box_contains_the_circle(lat, lng, radius, expected_lngs):
    lat_min, lat_max, ranges = bounding_box(lat, lng, radius)
    assert len(ranges) == expected_lngs
    for bearing_lat, bearing_lng in [(lat_min, lng), (lat_max, lng)]:
        assert haversine_km(lat, lng, bearing_lat, bearing_lng) >= radius * 0.999 or abs(bearing_lat) == 90


def test_csv_import_rows():
    records = parse_csv("seller_id,name,industries,lat,lng,active\n"
                        "S-1,One,Food;Logistics,1.5,2.5,\n"
                        "S-2,Two,textiles,3,4,false\n")
    assert [(r.seller_id, r.industries, r.active) for r in records] == [
        ("S-1", ["food", "logistics"], True), ("S-2", ["textiles"], False)]


def test_demo_directory_is_a_usable_market():
    sellers = read_sellers_file(DEMO_SELLERS_FILE)
    assert len(sellers) >= 50 and sellers[0].seller_id == "SELLER-001"
    assert len({i for s in sellers for i in s.industries}) >= 5


@pytest.fixture
async def directory(make_db_url):
    engine = make_engine(make_db_url("directory"))
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield SellerDirectory(make_sessionmaker(engine))
    await engine.dispose()


def record(seller_id, industries, lat, lng, active=True):
    return SellerRecord(seller_id=seller_id, name=seller_id, industries=industries, lat=lat, lng=lng, active=active)


@pytest.mark.usefixtures("db_backend")
async def test_index_lookup_industry_box_and_deactivation(directory):
    await directory.upsert([
        record("S-NEWARK", ["food"], 40.7357, -74.1724), record("S-BOSTON", ["food", "textiles"], 42.3601, -71.0589),
        record("S-LA", ["food"], 34.0522, -118.2437), record("S-PHILLY", ["textiles"], 39.9526, -75.1652),
        record("S-FIJI", ["food"], -17.7, 179.9), record("S-SAMOA", ["food"], -13.8, -172.1),
    ])
    near_ny = await directory.near("Food", NY.lat, NY.lng, 500)
    assert sorted(c.seller_id for c in near_ny) == ["S-BOSTON", "S-NEWARK"]
    near_ny_any_industry = await directory.near(None, NY.lat, NY.lng, 500)
    assert sorted(c.seller_id for c in near_ny_any_industry) == ["S-BOSTON", "S-NEWARK", "S-PHILLY"]
    across = await directory.near("food", -15.0, -178.0, 1200)  # the box wraps the antimeridian
    assert sorted(c.seller_id for c in across) == ["S-FIJI", "S-SAMOA"]
    await directory.deactivate("S-BOSTON")
    assert [c.seller_id for c in await directory.near("food", NY.lat, NY.lng, 500)] == ["S-NEWARK"]
    assert [c.seller_id for c in await directory.first_by_id("food", 2)] == ["S-FIJI", "S-LA"]
    assert (await directory.get("S-BOSTON")).active is False


@pytest.mark.usefixtures("db_backend")
async def test_selector_uses_google_and_falls_back_marked(directory, fake_google):
    await directory.upsert([record(f"S-{n:02d}", ["food"], 40.0 + n * 0.05, -74.0, True) for n in range(60)])
    details = OrderDetails(industry="food", location=Location(lat=40.0, lng=-74.0), max_sellers=5)
    async with httpx.AsyncClient() as http:
        google = DistanceMatrixClient(http, fake_google.url, "k", backoff_initial=0.01)
        selector = SellerSelector(directory, google, find_max_sel=10, search_radius_km=1000, google_candidates=60)
        ranked = await selector.select(details)
        assert ranked.ranking_source == "google" and len(fake_google.matrix_requests()) == 3
        assert [s.seller_id for s in ranked.sellers] == ["S-00", "S-01", "S-02", "S-03", "S-04"]
        assert all(s.source == "google" and s.duration_s is not None for s in ranked.sellers)

        fake_google.distance_matrix = lambda query: (200, {"status": "REQUEST_DENIED", "error_message": "bad key"}, {})
        fallback = await selector.select(details)
        assert fallback.ranking_source == "haversine" and "REQUEST_DENIED" in fallback.note
        assert [s.seller_id for s in fallback.sellers] == ["S-00", "S-01", "S-02", "S-03", "S-04"]
        assert all(s.source == "haversine" and s.duration_s is None for s in fallback.sellers)

        down = DistanceMatrixClient(http, f"http://127.0.0.1:{free_port()}", "k", backoff_initial=0.01)
        unreachable = await SellerSelector(directory, down, find_max_sel=10, search_radius_km=1000,
                                           google_candidates=60).select(details)
        assert unreachable.ranking_source == "haversine" and "unreachable" in unreachable.note
        assert [s.seller_id for s in unreachable.sellers] == ["S-00", "S-01", "S-02", "S-03", "S-04"]

    unconfigured = SellerSelector(directory, None, find_max_sel=3, search_radius_km=1000, google_candidates=60)
    assert (await unconfigured.select(details)).ranking_source == "haversine"
