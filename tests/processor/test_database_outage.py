"""PostgreSQL goes away under a running Processor: 503 with Retry-After, then service by itself."""
import pytest

from tests.conftest import _run_admin, postgres_problem, processor_of


@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
async def test_database_outage_is_503_then_recovers(processor, db_backend):
    assert postgres_problem() is None
    url = processor_of(processor).engine.url
    database = url.database
    body = {"OrderReqID": "ORD-1", "Seller": "SELLER-001", "ProposalDictObj": {"ProposalID": "P-1", "Price": 1}}
    assert (await processor.http.post("/api/v1/proposal-submissions", json=body)).status_code == 404  # DB up: no order

    _run_admin(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
    _run_admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'")
    try:
        down = await processor.http.post("/api/v1/proposal-submissions", json=body)
        assert down.status_code == 503 and down.headers["Retry-After"]
        assert down.json()["detail"]["reason"] == "the database is unavailable; retry shortly"
        assert (await processor.http.get("/ready")).status_code == 503
    finally:
        _run_admin(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
    assert (await processor.http.post("/api/v1/proposal-submissions", json=body)).status_code == 404
    assert (await processor.http.get("/ready")).status_code == 200
