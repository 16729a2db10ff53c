"""_SelectSellers rules: industry, distance, cap, and the deterministic default."""
from processor.app.config import DEMO_SELLERS_FILE
from processor.app.services.select_sellers import SellerCandidate, select_sellers
from processor.app.services.seller_directory import read_sellers_file
from shared.models.orders import Location, OrderDetails

NY = Location(lat=40.7128, lng=-74.0060)
CANDIDATES = [
    SellerCandidate("S-BOSTON", "Boston", ("food",), 42.3601, -71.0589),
    SellerCandidate("S-NEWARK", "Newark", ("food", "logistics"), 40.7357, -74.1724),
    SellerCandidate("S-LA", "Los Angeles", ("food",), 34.0522, -118.2437),
    SellerCandidate("S-PHILLY", "Philadelphia", ("textiles",), 39.9526, -75.1652),
]


def _ids(selection):
    return [s.seller_id for s in selection.sellers]


def test_nearest_first_within_radius_with_distance_and_rank():
    selection = select_sellers(CANDIDATES, OrderDetails(industry="Food", location=NY), find_max_sel=10, search_radius_km=1000)
    assert _ids(selection) == ["S-NEWARK", "S-BOSTON"]  # LA is beyond 1000 km, Philadelphia sells textiles
    assert selection.ranking_source == "haversine"
    newark, boston = selection.sellers
    assert (newark.rank, boston.rank) == (1, 2)
    assert 14 < newark.distance_km < 16 and 300 < boston.distance_km < 310


def test_cap_is_the_smaller_of_max_sellers_and_find_max_sel():
    wide = dict(location=NY)
    assert len(select_sellers(CANDIDATES, OrderDetails(**wide), find_max_sel=2, search_radius_km=10_000).sellers) == 2
    assert len(select_sellers(CANDIDATES, OrderDetails(max_sellers=1, **wide), find_max_sel=3, search_radius_km=10_000).sellers) == 1


def test_without_details_the_first_sellers_by_id_are_chosen():
    selection = select_sellers(list(reversed(CANDIDATES)), OrderDetails(), find_max_sel=3, search_radius_km=1)
    assert _ids(selection) == ["S-BOSTON", "S-LA", "S-NEWARK"]
    assert selection.ranking_source == "directory"
    assert all(s.distance_km is None for s in selection.sellers)


def test_no_match_selects_nobody():
    assert select_sellers(CANDIDATES, OrderDetails(industry="aerospace"), find_max_sel=5, search_radius_km=1).sellers == []


def test_demo_directory_is_a_usable_market():
    sellers = read_sellers_file(DEMO_SELLERS_FILE)
    assert len(sellers) >= 50
    assert sellers[0].seller_id == "SELLER-001"
    assert len({i for s in sellers for i in s.industries}) >= 5
