"""Authentication on the gRPC link: the Requestor's service token in the `authorization` metadata,
checked by a server interceptor; TLS/mTLS credentials from files named in the settings."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, NoReturn

import grpc

from shared.auth.http import Authenticator, bearer_token
from shared.errors import DomainError
from shared.proto.errors import grpc_code

# Probes (kubelet's native gRPC check) and reflection carry no token.
OPEN_METHOD_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


def bearer_metadata(token: str | None) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),) if token else ()


def _terminator(handler: grpc.RpcMethodHandler, code: grpc.StatusCode, details: str) -> grpc.RpcMethodHandler:
    # One coroutine for both kinds: grpc.aio runs a streaming handler that is a coroutine (not
    # an async generator) as one that writes its responses itself; this one writes none.
    async def refuse(_request: object, context: grpc.aio.ServicerContext[Any, Any]) -> NoReturn:
        await context.abort(code, details)

    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(refuse)
    return grpc.unary_unary_rpc_method_handler(refuse)


class TokenInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, authenticator: Authenticator) -> None:
        self._authenticator = authenticator

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(handler_call_details)
        if handler is None or handler_call_details.method.startswith(OPEN_METHOD_PREFIXES):
            return handler
        metadata = dict(handler_call_details.invocation_metadata or ())
        header = metadata.get("authorization")  # text: only "-bin" keys carry bytes
        try:
            self._authenticator.authenticate(bearer_token(header) if isinstance(header, str) else None)
        except DomainError as refusal:
            return _terminator(handler, grpc_code(refusal), refusal.reason)
        return handler


def _read(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as exc:  # named at start-up, not a traceback about a path
        raise ValueError(f"a GRPC_TLS_* file cannot be read: {path}: {exc.strerror}") from None


def server_credentials(cert: Path, key: Path, client_ca: Path | None) -> grpc.ServerCredentials:
    certificate, private_key = _read(cert), _read(key)
    assert certificate is not None and private_key is not None
    return grpc.ssl_server_credentials(
        [(private_key, certificate)], root_certificates=_read(client_ca), require_client_auth=client_ca is not None,
    )


def channel_credentials(ca: Path | None, cert: Path | None, key: Path | None) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(
        root_certificates=_read(ca), private_key=_read(key), certificate_chain=_read(cert))
