"""The Distance Matrix client against a local server answering in Google's format."""
import httpx
import pytest

from processor.app.adapters.google_distance_matrix import DistanceMatrixClient, DistanceMatrixError, DistanceMatrixStats

ORIGIN = (41.8781, -87.6298)


def destinations(n):
    return [(41.0 + i * 0.01, -87.0 - i * 0.01) for i in range(n)]


@pytest.fixture
async def client(fake_google):
    async with httpx.AsyncClient() as http:
        yield DistanceMatrixClient(http, fake_google.url, "test-key", backoff_initial=0.01)


async def test_sixty_destinations_take_three_requests_of_at_most_25(client, fake_google):
    roads = await client.distances(ORIGIN, destinations(60))
    requests = fake_google.matrix_requests()
    assert len(requests) == 3 and client.stats == DistanceMatrixStats(ok=3)
    assert sorted(len(r.query["destinations"][0].split("|")) for r in requests) == [10, 25, 25]
    assert all(r.query["key"] == ["test-key"] and r.query["origins"] == ["41.878100,-87.629800"] for r in requests)
    assert len(roads) == 60 and all(r.status == "OK" and r.distance_m > 0 and r.duration_s > 0 for r in roads)


async def test_per_element_zero_results_is_kept_per_destination(client, fake_google):
    def answer(query):
        elements = [{"status": "ZERO_RESULTS"},
                    {"status": "OK", "distance": {"value": 1500}, "duration": {"value": 120}}]
        return 200, {"status": "OK", "rows": [{"elements": elements}]}, {}

    fake_google.distance_matrix = answer
    first, second = await client.distances(ORIGIN, destinations(2))
    assert (first.status, first.distance_m) == ("ZERO_RESULTS", None)
    assert (second.status, second.distance_m, second.duration_s) == ("OK", 1500, 120)


async def test_over_query_limit_is_retried_then_succeeds(client, fake_google):
    answers = iter([(200, {"status": "OVER_QUERY_LIMIT", "rows": []}, {}), (503, {}, {})])
    fake_google.distance_matrix = lambda query: next(answers, None)
    roads = await client.distances(ORIGIN, destinations(3))
    assert len(fake_google.matrix_requests()) == 3 and [r.status for r in roads] == ["OK"] * 3
    assert client.stats == DistanceMatrixStats(ok=1, refused=1, error=1)  # each request counted by its outcome


async def test_persistent_over_query_limit_gives_up_after_the_attempts(client, fake_google):
    fake_google.distance_matrix = lambda query: (200, {"status": "OVER_QUERY_LIMIT", "rows": []}, {})
    with pytest.raises(DistanceMatrixError, match="OVER_QUERY_LIMIT"):
        await client.distances(ORIGIN, destinations(3))
    assert len(fake_google.matrix_requests()) == 3 and client.stats == DistanceMatrixStats(refused=3)


async def test_request_denied_is_not_retried(fake_google):
    async with httpx.AsyncClient() as http:
        keyless = DistanceMatrixClient(http, fake_google.url, "bad-key", backoff_initial=0.01)
        denied = {"status": "REQUEST_DENIED", "error_message": "The provided API key is invalid."}
        fake_google.distance_matrix = lambda query: (200, denied, {})
        with pytest.raises(DistanceMatrixError, match=r"REQUEST_DENIED: The provided API key is invalid\."):
            await keyless.distances(ORIGIN, destinations(1))
    assert len(fake_google.matrix_requests()) == 1 and keyless.stats == DistanceMatrixStats(refused=1)


async def test_unreachable_api_raises_after_retries():
    from devtools.service_process import free_port

    async with httpx.AsyncClient() as http:
        down = DistanceMatrixClient(http, f"http://127.0.0.1:{free_port()}", "k", backoff_initial=0.01)
        with pytest.raises(DistanceMatrixError, match="unreachable"):
            await down.distances(ORIGIN, destinations(1))
        assert down.stats == DistanceMatrixStats(error=3)


@pytest.mark.parametrize("answer", [
    (404, {}, {}),  # an HTTP error that is not retried
    (200, {"status": "OK"}, {}),  # no rows
    (200, {"status": "OK", "rows": [{"elements": []}]}, {}),  # fewer elements than destinations
])
async def test_an_unusable_answer_is_counted_as_an_error(client, fake_google, answer):
    fake_google.distance_matrix = lambda query: answer
    with pytest.raises(DistanceMatrixError):
        await client.distances(ORIGIN, destinations(1))
    assert client.stats == DistanceMatrixStats(error=1) and client.stats.requests == 1
