"""Issue 14: authentication answers before anything else — a caller the route would refuse learns
nothing about how its body would have been read."""
import pytest

from shared.auth import Role
from tests.auth.conftest import bearer

pytestmark = pytest.mark.usefixtures("db_backend")
MALFORMED = {"content": b"{not json", "headers": {"content-type": "application/json"}}


async def test_a_malformed_body_from_a_refused_caller_is_refused_as_such(secured_processor, secured_requestor):
    requests = [
        (secured_processor, "POST", "/api/v1/proposal-submissions", 401),
        (secured_processor, "POST", "/api/v1/edit-lock", 401),
        (secured_processor, "POST", "/api/v1/followup", 401),
        (secured_processor, "POST", "/api/v1/sellers", 403),
        (secured_processor, "PUT", "/api/v1/sellers/SELLER-001", 403),
        (secured_requestor, "POST", "/api/v1/initiate", 401),
        (secured_requestor, "POST", "/api/v1/followup", 401),
        (secured_requestor, "PUT", "/api/v1/finalize/ORD-1", 401),
    ]
    for running, method, url, refused in requests:
        anonymous = await running.http.request(method, url, **MALFORMED)
        assert anonymous.status_code == refused and "JSON" not in anonymous.text, (url, anonymous.text)
    seller = await secured_processor.http.post(
        "/api/v1/proposal-submissions", content=b"{not json",
        headers={**MALFORMED["headers"], **bearer(Role.SELLER, "SELLER-001")})
    assert seller.status_code == 422  # an accepted caller is told what is wrong with its body
    buyer_on_processor = await secured_processor.http.post(
        "/api/v1/proposal-submissions", content=b"{not json",
        headers={**MALFORMED["headers"], **bearer(Role.BUYER, "S-1")})
    assert buyer_on_processor.status_code == 401


async def test_without_authentication_a_malformed_body_is_422(processor):
    response = await processor.http.post("/api/v1/proposal-submissions", **MALFORMED)
    assert response.status_code == 422 and response.json()["detail"][0]["type"] == "json_invalid"
