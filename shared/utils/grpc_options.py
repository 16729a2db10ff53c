"""Channel and server options: keep-alives matched on both sides, and the client's retry policy.

Keep-alive settings for the long-lived order streams, matched on both sides.

The client pings every 20 s; the server accepts pings as often as every 10 s, so it never
answers GOAWAY "too_many_pings". Idle streams through proxies and NATs stay open.
"""
import json

CLIENT_OPTIONS = [
    ("grpc.keepalive_time_ms", 20_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
    # Reconnect to a restarted Processor within a second (the default backoff grows to 120 s).
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1_000),
]



def retrying_service_config(service_names: list[str], *, attempts: int, initial: float, maximum: float) -> str:
    """gRPC's own retry policy: calls that failed UNAVAILABLE (the server never took them, e.g.
    it is restarting) are retried with exponential backoff, within the call's deadline. Calls are
    spread over every address the target resolves to (round_robin: a list of addresses, or a
    headless Service's records through dns:///), each stream on the replica its call reached."""
    return json.dumps({"loadBalancingConfig": [{"round_robin": {}}], "methodConfig": [{
        "name": [{"service": name} for name in service_names],
        "retryPolicy": {
            "maxAttempts": attempts, "initialBackoff": f"{initial}s", "maxBackoff": f"{maximum}s",
            "backoffMultiplier": 2, "retryableStatusCodes": ["UNAVAILABLE"],
        },
    }]})


SERVER_OPTIONS = [
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_recv_ping_interval_without_data_ms", 10_000),
    ("grpc.http2.max_ping_strikes", 0),
]
