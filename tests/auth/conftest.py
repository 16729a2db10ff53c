"""Both services with authentication on, and tokens for the callers the tests play."""
import pytest

from shared.auth import Role, TokenSigner
from shared.config.settings import DEV_TOKEN_KEY_ID, DEV_TOKEN_SECRET
from tests.conftest import processor_of

SIGNER = TokenSigner({DEV_TOKEN_KEY_ID: DEV_TOKEN_SECRET})


def bearer(role: Role, subject: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {SIGNER.issue(role, subject, ttl_seconds=600)}"}


SERVICE_TOKEN = SIGNER.issue(Role.SERVICE, "requestor", ttl_seconds=600)


@pytest.fixture
async def secured_processor(start_processor):
    async for running in start_processor(auth_enabled=True):
        yield running


@pytest.fixture
async def secured_requestor(start_requestor, secured_processor):
    port = processor_of(secured_processor).grpc.port
    async for running in start_requestor(port, auth_enabled=True, processor_auth_token=SERVICE_TOKEN):
        yield running
