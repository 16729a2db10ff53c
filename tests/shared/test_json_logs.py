"""LOG_FORMAT=json (issue 18, third part): one JSON object per line from every handler, with the
request's id (and the order's, when its path names one), secrets still redacted; and every answer
carries X-Request-ID."""
from __future__ import annotations

import json
import logging

from shared.utils.log_context import ORDER_ID, REQUEST_ID
from tests.shared.test_log_redaction import (  # noqa: F401 - service_logs: the fixture
    BUYER_JWT,
    GOOGLE_API_KEY,
    flushed,
    processor_settings,
    service_logs,
)


def test_json_lines_carry_request_and_order_ids_and_no_secret(service_logs):  # noqa: F811 - the fixture
    logs = service_logs(processor_settings(log_format="json", google_api_key=GOOGLE_API_KEY))
    request, order = REQUEST_ID.set("req-42"), ORDER_ID.set("ORD-7")
    try:
        logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:50123", "GET",
                                                 f"/api/v1/orders/ORD-7/events?ticket={BUYER_JWT}", "1.1", 200)
        logging.getLogger("dcent.test").warning("calling with key %s", GOOGLE_API_KEY)
    finally:
        REQUEST_ID.reset(request)
        ORDER_ID.reset(order)
    lines = [json.loads(line) for line in flushed(logs).splitlines() if line.startswith("{")]
    access = next(line for line in lines if line["logger"] == "uvicorn.access")
    ours = next(line for line in lines if line["logger"] == "dcent.test")
    assert access["request_id"] == ours["request_id"] == "req-42" and access["order_id"] == "ORD-7"
    assert "ticket=REDACTED" in access["message"] and ours["level"] == "WARNING"
    text = flushed(logs)
    assert BUYER_JWT not in text and GOOGLE_API_KEY not in text


async def test_every_answer_carries_a_request_id_the_callers_when_sane(requestor):
    given = await requestor.http.get("/health", headers={"X-Request-ID": "trace-me.1"})
    assert given.headers["x-request-id"] == "trace-me.1"
    made = await requestor.http.get("/health", headers={"X-Request-ID": "no spaces\tor tabs"})
    assert made.headers["x-request-id"] != "no spaces\tor tabs" and len(made.headers["x-request-id"]) == 32


def test_each_json_line_names_its_service():
    """Under `make run` both services write to one terminal: each line says whose it is."""
    import logging.config

    from shared.utils.serve import logging_config

    formatter_config = logging_config("INFO", "json", "processor")["formatters"]["service"]
    formatter = logging.config.DictConfigurator({}).configure_custom(dict(formatter_config))
    line = json.loads(formatter.format(logging.LogRecord("dcent", logging.INFO, __file__, 1, "hi", (), None)))
    assert line["service"] == "processor"
