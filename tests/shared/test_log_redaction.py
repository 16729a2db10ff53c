"""Nothing secret in logs (issue 14): API keys, webhook tokens, bearer tokens and the configured secrets.

Logging is configured here exactly as a service configures it: `serve()` with `uvicorn.run` stood in
by `uvicorn.Config` (which applies the logging configuration serve() hands it, then stops), starting
from a process with no handlers. The handlers write to a StringIO, read after each scenario. caplog
is not used: it sees records before any handler's formatter, not what the service writes.
"""
from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
import uvicorn
from pydantic import SecretStr

from devtools.service_process import free_port
from processor.app.adapters.google_chat import GoogleChatNotifier
from processor.app.adapters.google_distance_matrix import DistanceMatrixClient
from processor.app.config import ProcessorSettings
from processor.app.domain.notices import NoticeKind, SellerNotice
from requestor.app.config import RequestorSettings
from shared.config.settings import DEV_TOKEN_SECRET as TOKEN_SECRET  # the token secret the settings hold
from shared.telemetry import redaction as log_redaction
from shared.telemetry.redaction import (
    REDACTED,
    RedactingFilter,
    RedactingFormatter,
    redact,
    redact_values,
    secret_values,
)
from shared.utils import serve

GOOGLE_API_KEY = "AIzaSyTEST-google-api-key-0123456789abc"
ADMIN_API_KEY = "admin-key-for-the-log-tests-0123456789"
SERVICE_TOKEN = "opaque-service-token-0123456789abcdef"
WEBHOOK_KEY = "AIzaSyWEBHOOK-key-9876543210zyx"
WEBHOOK_TOKEN = "webhook-token-Zm9vYmFyYmF6cXV4%3D"  # as Google writes it, URL-encoded


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


BUYER_JWT = ".".join([b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode()),
                      b64url(json.dumps({"sub": "SESSION-LOGS", "role": "buyer", "exp": 4102444800}).encode()),
                      b64url(bytes(range(32)))])
JWT_SIGNATURE = BUYER_JWT.rsplit(".", 1)[1]
LOGGERS = ["uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi", "httpx", "httpcore"]


def processor_settings(**overrides) -> ProcessorSettings:
    values = {"google_api_key": GOOGLE_API_KEY, "admin_api_key": ADMIN_API_KEY, "log_level": "INFO",
              "kafka_enabled": False}
    return ProcessorSettings(_env_file=None, **{**values, **overrides})


def requestor_settings(**overrides) -> RequestorSettings:
    values = {"processor_auth_token": SERVICE_TOKEN, "log_level": "INFO", "kafka_enabled": False}
    return RequestorSettings(_env_file=None, **{**values, **overrides})


@pytest.fixture
def service_logs(monkeypatch) -> Iterator[Callable[..., io.StringIO]]:
    """configure(settings) → the StringIO the service's handlers (stdout and stderr) write to."""
    saved = {name: (lg.handlers[:], lg.level, lg.propagate, lg.disabled, lg.filters[:])
             for name in [None, *LOGGERS] for lg in [logging.getLogger(name)]}
    monkeypatch.setattr(log_redaction, "_known", log_redaction._KnownValues())  # values registered here go
    stream = io.StringIO()

    def configure(settings) -> io.StringIO:
        logging.root.handlers.clear()  # a fresh process has none (pytest's own are put back below)
        with monkeypatch.context() as patch:
            patch.setattr(sys, "stdout", stream)
            patch.setattr(sys, "stderr", stream)
            patch.setattr(serve.uvicorn, "run", lambda app, **kwargs: uvicorn.Config(app, **kwargs))
            serve.serve("tests:unused", settings)
        return stream

    yield configure
    for name, (handlers, level, propagate, disabled, filters) in saved.items():
        lg = logging.getLogger(name)
        lg.handlers[:], lg.filters[:] = handlers, filters
        lg.setLevel(level)
        lg.propagate, lg.disabled = propagate, disabled


def flushed(stream: io.StringIO) -> str:
    for handler in [*logging.root.handlers, *(h for n in LOGGERS for h in logging.getLogger(n).handlers)]:
        handler.flush()
    return stream.getvalue()


# --- (1) Google Distance Matrix: the API key in the query -------------------------------------------

async def test_distance_matrix_calls_never_log_the_google_api_key(service_logs, fake_google):
    logs = service_logs(processor_settings(api_google_bot_url=fake_google.url))
    denied = iter([(200, {"status": "REQUEST_DENIED", "error_message": "The provided API key is invalid."}, {})])
    fake_google.distance_matrix = lambda query: next(denied, None)
    async with httpx.AsyncClient() as http:
        client = DistanceMatrixClient(http, fake_google.url, GOOGLE_API_KEY, backoff_initial=0.01)
        with pytest.raises(Exception, match="REQUEST_DENIED"):
            await client.distances((41.8781, -87.6298), [(41.0, -87.0)])
        try:
            await client.distances((41.8781, -87.6298), [(41.0, -87.0), (42.0, -88.0)])
            raise httpx.HTTPStatusError(  # as raise_for_status words it: the URL, key and all
                f"Client error '403 Forbidden' for url '{fake_google.url}/maps/api/x?key={GOOGLE_API_KEY}'",
                request=httpx.Request("GET", f"{fake_google.url}/maps/api/x?key={GOOGLE_API_KEY}"),
                response=httpx.Response(403))
        except httpx.HTTPStatusError:
            logging.getLogger("processor.app.container").exception("Distance Matrix failed")
    assert [r.query["key"] for r in fake_google.matrix_requests()] == [[GOOGLE_API_KEY]] * 2  # it was sent
    text = flushed(logs)
    assert text.count("HTTP Request: GET http://127.0.0.1") == 2  # httpx did log both calls …
    assert "/maps/api/distancematrix/json?" in text and "key=REDACTED" in text
    assert "Traceback (most recent call last)" in text and "HTTPStatusError" in text  # … and the traceback
    assert GOOGLE_API_KEY not in text  # … never the key


# --- (2) Google Chat: the webhook's key and token ---------------------------------------------------

async def test_google_chat_posts_never_log_the_webhook_key_or_token(service_logs, fake_google):
    logs = service_logs(processor_settings(api_google_chat_url=fake_google.url))
    webhook = f"/v1/spaces/LOGS/messages?key={WEBHOOK_KEY}&token={WEBHOOK_TOKEN}"
    refused = iter([(400, {"error": {"message": f"Invalid webhook {webhook}"}}, {})])
    fake_google.chat = lambda path, body: next(refused, None)

    async def webhooks_of(seller_ids):
        return dict.fromkeys(seller_ids, webhook)

    async with httpx.AsyncClient() as http:
        notifier = GoogleChatNotifier(http, webhooks_of, base_url=fake_google.url, per_second=100.0, max_attempts=1)
        notifier.enqueue(SellerNotice("ORD-LOGS", "SELLER-001", NoticeKind.INVITATION, "refused"))
        notifier.enqueue(SellerNotice("ORD-LOGS", "SELLER-001", NoticeKind.INVITATION, "sent"))
        await notifier.idle()
        await notifier.close()
    assert (notifier.stats.sent, notifier.stats.failed) == (1, 1)
    assert fake_google.chat_requests()[0].query["token"] == [WEBHOOK_TOKEN.replace("%3D", "=")]  # it was sent
    text = flushed(logs)
    assert text.count("HTTP Request: POST http://127.0.0.1") == 2 and "/v1/spaces/LOGS/messages?" in text
    assert "Google Chat notice to SELLER-001 about ORD-LOGS failed: HTTP 400" in text  # our own error line
    for secret in (WEBHOOK_KEY, WEBHOOK_TOKEN, WEBHOOK_TOKEN.replace("%3D", "="), "Zm9vYmFyYmF6cXV4"):
        assert secret not in text


# --- (3) the Requestor's event stream: ?ticket= in uvicorn's access log ----------------------

def test_uvicorn_access_line_with_a_stream_ticket_is_redacted(service_logs):
    logs = service_logs(requestor_settings())
    path = f"/api/v1/orders/ORD-1/events?after_seq=3&ticket={BUYER_JWT}"
    # exactly what uvicorn's HTTP protocols log for each response
    logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:50123", "GET", path, "1.1", 200)
    text = flushed(logs)
    assert '127.0.0.1:50123 - "GET /api/v1/orders/ORD-1/events?after_seq=3&ticket=REDACTED HTTP/1.1" 200' \
        in text
    assert BUYER_JWT not in text and JWT_SIGNATURE not in text


def test_bearer_headers_logged_by_anything_are_redacted(service_logs):
    logs = service_logs(requestor_settings())
    opaque = "c2VjcmV0LWJlYXJlci10b2tlbi1mb3ItbG9ncw"
    logging.getLogger("grpc._cython.cygrpc").warning("metadata %s", (("authorization", f"Bearer {opaque}"),))
    logging.getLogger("aiokafka").info("Authorization: Bearer %s", opaque)  # the token split from its scheme
    logging.getLogger("httpx").debug("never written at INFO: Bearer %s", opaque)
    logging.getLogger("dcent.security").info("headers=%s", {"Authorization": f"Bearer {BUYER_JWT}"})
    logging.getLogger("uvicorn.error").info("token %s", BUYER_JWT)
    text = flushed(logs)
    assert text.count("Bearer REDACTED") == 3 and "token REDACTED" in text
    assert opaque not in text and JWT_SIGNATURE not in text


def test_configured_secrets_are_never_written(service_logs):
    logs = service_logs(processor_settings())
    log = logging.getLogger("processor.app.container")
    log.warning("admin key %s, secrets %s, google %s", ADMIN_API_KEY, [TOKEN_SECRET], GOOGLE_API_KEY)
    log.info(f"inline: {ADMIN_API_KEY}")  # formatted into the message itself, not an argument
    try:
        raise RuntimeError(f"could not use {TOKEN_SECRET}")
    except RuntimeError:
        log.exception("failed")
    text = flushed(logs)
    assert "RuntimeError: could not use REDACTED" in text and "inline: REDACTED" in text
    for secret in (ADMIN_API_KEY, TOKEN_SECRET, GOOGLE_API_KEY):
        assert secret not in text


async def test_a_real_uvicorn_serving_the_requestor_does_not_log_the_stream_token(service_logs, requestor):
    logs = service_logs(requestor_settings())
    port = free_port()
    # The service's logging is in place already (above); this server must not configure its own.
    server = uvicorn.Server(uvicorn.Config(requestor.app, host="127.0.0.1", port=port, lifespan="off",
                                           log_config=None, log_level="info"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            response = await http.get(f"/api/v1/orders/ORD-NONE/events?ticket={BUYER_JWT}",
                                      headers={"Authorization": f"Bearer {BUYER_JWT}"})
        assert response.status_code == 404
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
    text = flushed(logs)
    assert '"GET /api/v1/orders/ORD-NONE/events?ticket=REDACTED HTTP/1.1" 404' in text
    assert BUYER_JWT not in text and JWT_SIGNATURE not in text


# --- the rules --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["key", "token", "access_token", "ticket", "sig", "signature", "api_key",
                                  "apikey", "password", "secret", "KEY", "Access_Token", "client_secret"])
def test_secret_query_parameters(name):
    assert redact(f"GET https://x.test/p?a=1&{name}=s3cr3t-value&b=2 HTTP/1.1") == \
        f"GET https://x.test/p?a=1&{name}={REDACTED}&b=2 HTTP/1.1"
    assert redact(f"/p?{name}=s3cr3t-value#frag") == f"/p?{name}={REDACTED}#frag"
    assert redact(f"redirect=https%3A%2F%2Fx%3F{name}%3Ds3cr3t-value%26b%3D2") == \
        f"redirect=https%3A%2F%2Fx%3F{name}%3D{REDACTED}%26b%3D2"


def test_other_parameters_and_words_are_kept():
    text = "GET /p?monkey=1&keys=2&token_type=bearer&idempotency_key=K1&order=ORD-1 HTTP/1.1 key: none"
    assert redact(text) == text
    assert redact("Bearer tokens are refused") == "Bearer REDACTED are refused"  # over-redaction is the safe side


def test_bearer_jwt_headers_and_dsn_passwords():
    assert redact(f"Authorization: Bearer {SERVICE_TOKEN}") == "Authorization: Bearer REDACTED"
    assert redact("authorization: bearer abc.def~ghi+/=") == "authorization: bearer REDACTED"
    assert redact("Authorization: Basic dXNlcjpwYXNz") == "Authorization: Basic REDACTED"
    assert redact("{'x-admin-key': 'k-123456'}") == "{'x-admin-key': 'REDACTED'}"
    assert redact(f"got {BUYER_JWT}.") == "got REDACTED."
    assert redact('{"password": "hunter2", "api_key": "k", "name": "n"}') == \
        '{"password": "REDACTED", "api_key": "REDACTED", "name": "n"}'
    assert redact("postgresql+asyncpg://dcent:pa55:word@db:5432/x") == "postgresql+asyncpg://dcent:REDACTED@db:5432/x"
    assert redact("https://user@host/x") == "https://user@host/x"


def test_registered_values_in_any_encoding(monkeypatch):
    monkeypatch.setattr(log_redaction, "_known", log_redaction._KnownValues())
    redact_values(["s3cret/with space+plus", SecretStr("another-secret"), None, "", "short"])
    assert redact("a s3cret/with space+plus b") == f"a {REDACTED} b"
    assert redact("q=s3cret%2Fwith%20space%2Bplus&r=s3cret%2Fwith+space%2Bplus") == f"q={REDACTED}&r={REDACTED}"
    assert redact("another-secret short") == f"{REDACTED} short"  # under 6 characters: not a secret worth one


def test_secret_values_come_from_every_secret_setting():
    values = secret_values(processor_settings(kafka_sasl_password="kafka-sasl-password"))
    assert {GOOGLE_API_KEY, ADMIN_API_KEY, TOKEN_SECRET, "kafka-sasl-password"} <= set(values)
    assert SERVICE_TOKEN in secret_values(requestor_settings())


def test_filter_keeps_records_formattable():
    """Per-argument redaction keeps %d and uvicorn's five access arguments; a secret the message and
    its arguments make together collapses the record to its redacted text."""
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("1.2.3.4:5", "GET", "/e?token=abc", "1.1", 200), None)
    assert RedactingFilter().filter(record)
    assert record.args == ("1.2.3.4:5", "GET", f"/e?token={REDACTED}", "1.1", 200)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "GET /p?key=%s (%d)", ("abc", 3), None)
    record.color_message = "GET /p?key=%s (%d)"
    RedactingFilter().filter(record)
    assert (record.getMessage(), record.args, hasattr(record, "color_message")) == \
        (f"GET /p?key={REDACTED} (3)", None, False)
    assert RedactingFormatter(logging.Formatter("%(message)s")).format(
        logging.LogRecord("x", logging.INFO, __file__, 1, "%s", ("Bearer abc",), None)) == "Bearer REDACTED"
    # uvicorn's access formatter unpacks the five arguments: an access record keeps them, whatever the
    # assembled line shows (here a JSON value the request line's closing quote seems to close)
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("1.2.3.4:5", "GET", '/e?"token":"abc', "1.1", 200), None)
    RedactingFilter().filter(record)
    assert (record.msg, record.args) == \
        ('%s - "%s %s HTTP/%s" %d', ("1.2.3.4:5", "GET", f'/e?"token":"{REDACTED}', "1.1", 200))


def test_filter_that_fails_keeps_an_access_records_arguments(monkeypatch):
    def broken(record):
        raise RuntimeError("the check failed")

    monkeypatch.setattr(RedactingFilter, "_redact", staticmethod(broken))
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("1.2.3.4:5", "GET", "/e?token=abc", "1.1", 200), None)
    assert RedactingFilter().filter(record)
    assert record.args == ("1.2.3.4:5", "GET", f"/e?token={REDACTED}", "1.1", 200)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "GET /p?key=%s", ("abc",), None)
    RedactingFilter().filter(record)
    assert (record.msg, record.args) == ("GET /p?key=REDACTED", None)


# --- redaction takes linear time: no text a client sends stalls the event loop ------------------------

SECONDS = 0.5  # what any of these may take; each takes milliseconds, a regression seconds to forever
KB_100 = 100_000
ADVERSARIAL = {
    # the security review's request (40 backslashes: 27 s, ×1.6 with each more) and its relatives
    "json value of backslashes": 'GET /api/v1/orders?"token":"' + "\\" * 5_000,
    "json value of backslashes, single quotes": "{'password': '" + "\\" * 5_000,
    "json value of backslashes, then a line": '"token": "' + "\\" * 5_000 + "\nnext",
    "json value of escaped quotes": '"api_key":"' + '\\"' * 20_000,
    "json values nested, none closed": ('"token":"' + "'key':'") * 6_000,
    "json key, spaces and no colon": '"secret"' + " " * KB_100 + "!",
    # the other rules
    "run of =": "?key" + "=" * KB_100,
    "run of %": "?key=" + "%" * KB_100,
    "run of %3D": "?key" + "%3D" * 30_000 + "%26",
    "run of a with every trigger": "a" * KB_100 + "=%3d\"'@eyJ bearer authorization -key",
    "url scheme of a.a.a. (quadratic before: over 30 s)": "a." * 50_000 + "@",
    "url scheme of a-a-a-": "a-" * 50_000 + "@",
    "url user info, no @": "db://user:" + "p" * KB_100,
    "jwt of dots": "eyJ." * 25_000,
    "jwt segments, no second dot": ("eyJ" + "a" * 1_000 + ".") + "b" * KB_100,
    "bearer then spaces": "Bearer" + " " * KB_100 + "!",
    "authorization then spaces": "Authorization:" + " " * KB_100,
    "authorization scheme, no credentials": "Authorization: " + "a" * KB_100 + " " * 1_000,
    # one line: the above in short runs, closed where a quote can close, then the review's request
    "a 100 KB line of all of them": ("a." * 200 + '"token":"' + "\\" * 200 + '" key=' + "=" * 200 + "%" * 200
                                     + " Bearer " + " " * 200 + "eyJ." * 50 + " Authorization: x-api-key:"
                                     + " " * 200 + "'password': '" + "\\" * 199 + "x' db://u:" + "p" * 200) * 48
                                    + '"token":"' + "\\" * 1_000,
}


@pytest.mark.parametrize("text", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_redaction_takes_linear_time_on_adversarial_text(text):
    """Each input is built against one rule: overlapping alternatives under a repetition (backslashes
    the old JSON rule could take one or two at a time: exponential), or a long run every start re-scans
    (quadratic). The per-test timeout's SIGALRM ends a regression even inside the regex engine."""
    started = time.perf_counter()
    redact(text)
    assert time.perf_counter() - started < SECONDS


def test_what_adversarial_text_redacts_to():
    assert redact(ADVERSARIAL["json value of backslashes"]) == f'GET /api/v1/orders?"token":"{REDACTED}'
    assert redact(ADVERSARIAL["json value of backslashes, then a line"]) == f'"token": "{REDACTED}\nnext'
    assert redact(ADVERSARIAL["json value of escaped quotes"]) == f'"api_key":"{REDACTED}'
    assert redact("a." * 10 + "@") == "a." * 10 + "@"
    assert redact("x" * 40 + "a.postgresql://u:p@h") == "x" * 40 + f"a.postgresql://u:{REDACTED}@h"
    # the JSON rule as before where the value is closed: escapes inside, the quote ending it
    assert redact(r'{"token": "a\"b\\", "x": "y"}') == f'{{"token": "{REDACTED}", "x": "y"}}'
    assert redact(r"{'secret': 'it\'s', 'x': 1}") == f"{{'secret': '{REDACTED}', 'x': 1}}"


def test_an_adversarial_access_record_is_written_promptly(service_logs):
    """The whole path an access line takes (the filter's per-argument and whole-message redaction, the
    formatter's, uvicorn's AccessFormatter), for the security review's request."""
    logs = service_logs(requestor_settings())
    path = '/api/v1/orders?"token":"' + "\\" * 5_000
    started = time.perf_counter()
    logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:50123", "GET", path, "1.1", 400)
    assert time.perf_counter() - started < SECONDS
    assert f'127.0.0.1:50123 - "GET /api/v1/orders?"token":"{REDACTED}" 400 Bad Request' in flushed(logs)


# --- a JSON-style token in a request's query: uvicorn's access line -----------------------------------

@pytest.mark.parametrize(("query", "request_line"), [
    ('"token":"x"', '"GET /api/v1/orders?"token":"REDACTED" HTTP/1.1" 200 OK'),
    # not closed: in the assembled line uvicorn's closing quote closes the value, ` HTTP/1.1` with it
    ('"token":"s3cr3t-t0ken-value', '"GET /api/v1/orders?"token":"REDACTED" 200 OK'),
    ('"token":"s3cr3t-t0ken-value\\', '"GET /api/v1/orders?"token":"REDACTED" 200 OK'),
    # nothing closes it: hidden to the end of the line
    ("'token':'s3cr3t-t0ken-value", "\"GET /api/v1/orders?'token':'REDACTED"),
])
def test_uvicorn_access_line_with_a_json_style_token_in_the_query(service_logs, capsys, query, request_line):
    """The access record keeps the five arguments uvicorn's AccessFormatter unpacks: one access line,
    redacted, and no "--- Logging error ---" (Handler.handleError, on the stderr of the moment) instead."""
    logs = service_logs(requestor_settings())
    logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:50123", "GET",
                                             f"/api/v1/orders?{query}", "1.1", 200)
    text = flushed(logs) + capsys.readouterr().err
    assert "Logging error" not in text and "Traceback" not in text
    assert [line for line in text.splitlines() if "127.0.0.1:50123" in line] == \
        [f"INFO:     127.0.0.1:50123 - {request_line}"]
    assert "s3cr3t-t0ken-value" not in text


async def test_a_real_uvicorn_logs_hostile_request_lines(service_logs, requestor, capsys):
    """The security review's requests, sent raw (a client library would percent-encode the quotes): each
    is answered and leaves one redacted access line. Sent before the fix, the first lost its access
    line to "--- Logging error ---" and the second, with 40 backslashes, held the event loop for 27 s
    (this one, with 5,000, would never end: the per-test timeout's SIGALRM would, in the regex engine)."""
    logs = service_logs(requestor_settings())
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(requestor.app, host="127.0.0.1", port=port, lifespan="off",
                                           log_config=None, log_level="info"))
    task = asyncio.create_task(server.serve())
    targets = ['/api/v1/orders?"token":"s3cr3t-t0ken-value', '/api/v1/orders?"token":"' + "\\" * 5_000]
    try:
        while not server.started:
            await asyncio.sleep(0.02)
        for target in targets:
            started = time.perf_counter()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"GET {target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n".encode())
            await writer.drain()
            status_line = (await reader.readline()).decode()
            writer.close()
            assert status_line.startswith("HTTP/1.1 "), \
                f"{target[:40]}…: {status_line!r} after {time.perf_counter() - started:.1f} s"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
    text = flushed(logs) + capsys.readouterr().err
    assert "Logging error" not in text and "Traceback" not in text and "s3cr3t-t0ken-value" not in text
    access = [line for line in text.splitlines() if '"GET /api/v1/orders?' in line]
    assert len(access) == 2 and all(line.startswith("INFO:     127.0.0.1:") for line in access), access
    assert all('?"token":"REDACTED" ' in line and line.endswith(" OK") for line in access), access
