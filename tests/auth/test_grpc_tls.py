"""gRPC over mutual TLS: certificates made with openssl, a Processor that asks for client
certificates, and Requestors with and without one."""
import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from shared.auth import Role
from tests.auth.conftest import SERVICE_TOKEN, bearer
from tests.conftest import processor_of
from tests.pki import make_certs

pytestmark = pytest.mark.usefixtures("db_backend")
BUYER = bearer(Role.BUYER, "SESSION-123")
SEED_INITIATE = {"OrderReqId": "ORD-001", "SessionID": "SESSION-123", "Notification type": "GChat"}


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certs(tmp_path_factory.mktemp("pki"))


@pytest.fixture
async def mtls_processor(start_processor, certs):
    async for running in start_processor(
        auth_enabled=True, bind_host="127.0.0.1", grpc_tls_cert_file=certs / "server.pem",
        grpc_tls_key_file=certs / "server.key", grpc_tls_client_ca_file=certs / "ca.pem", grpc_health_port=0,
    ):
        assert processor_of(running).grpc.tls
        yield running


async def test_requestor_with_a_client_certificate_and_token_is_served(start_requestor, mtls_processor, certs):
    port = processor_of(mtls_processor).grpc.port
    async for requestor in start_requestor(
        port, auth_enabled=True, processor_auth_token=SERVICE_TOKEN, grpc_tls_enabled=True,
        grpc_tls_ca_file=certs / "ca.pem", grpc_tls_cert_file=certs / "client.pem",
        grpc_tls_key_file=certs / "client.key",
    ):
        response = await requestor.http.post("/api/v1/initiate", json=SEED_INITIATE, headers=BUYER)
        assert response.status_code == 202, response.text
        assert response.json()["Timeline"][-1]["EventType"] == "SellersSelected"  # the stream works over TLS too


@pytest.mark.parametrize("tls", [
    {"grpc_tls_enabled": True, "grpc_tls_ca_file": "ca.pem"},   # no client certificate
    {"grpc_tls_enabled": False},                                # plaintext to a TLS port
])
async def test_requestor_without_a_client_certificate_is_refused(start_requestor, mtls_processor, certs, tls):
    settings = {k: certs / v if k.endswith("_file") else v for k, v in tls.items()}
    port = processor_of(mtls_processor).grpc.port
    async for requestor in start_requestor(port, auth_enabled=True, processor_auth_token=SERVICE_TOKEN,
                                           grpc_call_timeout_seconds=2, **settings):
        response = await requestor.http.post("/api/v1/initiate", json=SEED_INITIATE, headers=BUYER)
        assert response.status_code == 503, response.text


async def test_probes_reach_health_in_plaintext_on_the_health_port(mtls_processor):
    server = processor_of(mtls_processor).grpc
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.health_port}") as channel:
        answer = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING
        with pytest.raises(grpc.aio.AioRpcError) as api:  # the API itself is not served there
            await channel.unary_unary("/dcent.communicator.v1.OrderNonStreamingService/PauseOrder")(b"", timeout=5)
        assert api.value.code() == grpc.StatusCode.UNIMPLEMENTED
