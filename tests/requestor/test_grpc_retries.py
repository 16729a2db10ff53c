"""The Requestor's gRPC calls ride out a Processor that is (re)starting: UNAVAILABLE is retried
with backoff inside the call's deadline, and the buyer never sees it."""
import asyncio

import pytest

from devtools.service_process import free_port

pytestmark = pytest.mark.usefixtures("db_backend")
SEED_INITIATE = {"OrderReqId": "ORD-001", "SessionID": "SESSION-123", "Notification type": "GChat"}


async def test_a_call_made_while_the_processor_is_down_succeeds_once_it_is_up(start_requestor, start_processor):
    port = free_port()
    async for requestor in start_requestor(port):
        call = asyncio.create_task(requestor.http.post("/api/v1/initiate", json=SEED_INITIATE))
        await asyncio.sleep(0.4)
        assert not call.done()  # still retrying, not failed
        async for _processor in start_processor(grpc_server_port=port):
            response = await asyncio.wait_for(call, 10)
            assert response.status_code == 202, response.text
            assert response.json()["State"] == "Open"


async def test_a_processor_down_for_longer_than_the_retries_is_a_503_with_retry_after(start_requestor):
    async for requestor in start_requestor(free_port(), grpc_call_timeout_seconds=1):
        response = await requestor.http.post("/api/v1/initiate", json=SEED_INITIATE)
        assert response.status_code == 503 and response.headers["Retry-After"]
