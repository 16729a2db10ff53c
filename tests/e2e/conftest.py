"""Both services as real processes on free ports, with a real database and Kafka broker."""
from __future__ import annotations

from pathlib import Path

import pytest

from shared.utils.service_process import ENDED_BY_ITSELF, launch_stack

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def stack(make_db_url, tmp_path, kafka_broker):
    running = launch_stack(make_db_url("processor"), make_db_url("requestor"), kafka_broker.bootstrap, tmp_path)
    try:
        yield running
    finally:
        exit_codes = running.stop()
    # SIGTERM ends each service by itself, never the SIGKILL that follows 30 s later: nothing in its
    # shutdown (streams, relay, database) hangs.
    assert set(exit_codes.values()) <= ENDED_BY_ITSELF, exit_codes
