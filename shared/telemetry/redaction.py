"""Nothing secret in logs (issue 14): every handler the services configure redacts what it writes.

What is redacted (each becomes `REDACTED`, the surrounding text is kept):

- query and form parameters named key, token, access_token, refresh_token, id_token, ticket, sig,
  signature, api_key, apikey, password, secret, client_secret (any case; `?`/`&` or URL-encoded
  inside another URL): `...?key=REDACTED&token=REDACTED`; the same names as JSON or dict keys (a
  value whose closing quote is missing is hidden to the end of its line);
- `Bearer <token>` (so `Authorization: Bearer REDACTED`), any other `Authorization:` credentials,
  `X-Admin-Key` / `X-Api-Key` / `X-Goog-Api-Key` header values;
- JWT-shaped strings (base64url segments joined by dots, starting `eyJ`);
- the password in a URL's user info (`postgresql://user:REDACTED@host/db`);
- the configured secret values themselves, as written and URL-encoded: `redact_values()`,
  given `secret_values(settings)` (every `SecretStr` setting: Google API key, admin key, token
  secrets, Kafka password, the Requestor's service token) by `shared.utils.serve` at start-up.

Where: `redacted_config()` rewrites a `logging.config.dictConfig` dictionary so that every handler
gets two things, and `serve()` hands uvicorn the result (its own handlers for `uvicorn.error` and
`uvicorn.access` plus the root handler that httpx, grpc, aiokafka and our loggers propagate to).

1. `RedactingFormatter` wraps the handler's formatter and redacts the *final string*. This is the
   guarantee: whatever a formatter puts together — the message, its arguments, the traceback it
   renders into `exc_text`, `stack_info`, uvicorn's access `request_line` built from the record's
   arguments, a secret split between the message and an argument (`"Bearer %s", token`) — is
   redacted after it is assembled, so no combination escapes. A Filter alone cannot promise that:
   it runs before formatting and cannot see what a formatter adds.
2. `RedactingFilter` redacts the record itself, before any formatting: each string argument (numbers
   untouched, so `%d` still formats and uvicorn's access formatter still gets its five arguments),
   the message when it has no arguments, or — when a secret appears only once message and arguments
   are combined — the formatted message with `args=None`, except for records whose formatter reads
   the arguments themselves (`ARGS_READ_BY_FORMATTER`: uvicorn's access records, whose formatter
   unpacks five of them), which keep their tuple, each argument redacted; the traceback is rendered
   into `exc_text` and redacted. It matters where the formatter cannot help: `Handler.handleError`
   prints the raw `msg` and `args` to stderr when formatting fails, and handlers that share the
   record after ours (ones added later, error trackers) see the redacted record.

Redaction takes time linear in the text, whatever the text: it runs on what clients send (uvicorn's
access line is written inside the event loop), so no rule may backtrack its way into exponential or
quadratic time (see the comment on `_RULES`).

Redaction errs on the side of hiding: a word after `Bearer` is hidden even in prose, and a registered
secret is hidden wherever its text appears. Values under 6 characters are not registered (they would
hide common words; the production profile requires 32). What the process writes without Python's
logging (grpc's C core to stderr, at GRPC_VERBOSITY=ERROR) is out of its reach.
"""
from __future__ import annotations

import logging
import logging.config
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

from pydantic import BaseModel, SecretBytes, SecretStr

REDACTED = "REDACTED"
MIN_VALUE_LENGTH = 6
SECRET_PARAMETERS = ("key", "token", "access_token", "refresh_token", "id_token", "ticket", "sig", "signature",
                     "api_key", "apikey", "password", "secret", "client_secret")
_NAMES = "|".join(sorted(SECRET_PARAMETERS, key=len, reverse=True))
# Not inside another word, or right after an encoded ? or &; the lookahead on the names' first letters
# only makes the scan quicker.
_START = rf"(?=[{''.join(sorted({n[0] for n in SECRET_PARAMETERS}))}])(?:(?<![\w.-])|(?<=%3F)|(?<=%26))"
# (pattern, replacement, triggers): a rule runs only when its text holds one of its triggers
# (lower-cased), so a line with nothing suspicious costs a few substring checks.
#
# Every rule runs in time linear in the text, whatever the text (they run on request lines an
# unauthenticated client writes, in the event loop): within a repetition no two alternatives can match
# the same character, a repetition is followed by something its own characters cannot be (so giving
# characters back never finds a second way through), and where many starting points could each scan
# the same long stretch, the stretch a start may scan is bounded. The cases that were not, and what
# they cost: a JSON value of backslashes, `\\.` and `(?!\4).` both matching a backslash (exponential:
# 40 backslashes, 27 s); a URL scheme `[a-z][a-z0-9+.-]*` scanned again from every letter after a
# `.`, `+` or `-` (quadratic: 100 KB of `a.a.a.`, over 30 s). tests/shared/test_log_redaction.py times
# inputs built against each rule.
_RULES: list[tuple[re.Pattern[str], str, tuple[str, ...]]] = [
    # JWTs first: wherever they stand (a parameter, a header, prose), all of one is hidden.
    # (Segments cannot hold a dot, so each is scanned once from the start before it.)
    (re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+){0,2}"),
     REDACTED, ("eyj",)),
    # ?key=… &token=… key%3D… (up to the next & or %26, whitespace, quote, #, <, >)
    (re.compile(rf"(?i){_START}({_NAMES})(=|%3D)(?:(?!%26)[^&\s\"'#<>])+"), rf"\1\2{REDACTED}", ("=", "%3d")),
    # "password": "…" / 'api_key': '…' (JSON, dict reprs). The value runs to its closing quote, or — not
    # closed (a truncated line, a request line's `?"token":"…`) — to the end of its line. An escaped
    # character is one step, any other character but the quote, a backslash or a line break another;
    # the closing quote is optional, so once the value starts the match cannot fail and nothing is retried.
    (re.compile(rf"(?i)([\"'])({_NAMES})\1(\s*:\s*)([\"'])(?:\\.|(?!\4)[^\\\n])*\\?(\4?)"),
     rf"\1\2\1\3\4{REDACTED}\5", ('"', "'")),
    # Authorization: <scheme> <credentials> for schemes other than Bearer (Bearer: the rule after next)
    (re.compile(r"(?i)\b((?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)(?!bearer\s)([A-Za-z][\w-]*\s+)?"
                r"[^\s\"',;]+"), rf"\1\2{REDACTED}", ("authorization",)),
    (re.compile(r"(?i)\b(x-admin-key|x-api-key|x-goog-api-key)([\"']?\s*[:=]\s*[\"']?)[^\s\"',;]+"),
     rf"\1\2{REDACTED}", ("-key",)),
    (re.compile(r"(?i)\b(bearer)(\s+)[A-Za-z0-9\-._~+/]+=*"), rf"\1\2{REDACTED}", ("bearer",)),
    # scheme://user:password@host. A scheme is at most 32 characters: `\b` also stands after every `.`,
    # `+` and `-` inside one, and each such start would otherwise scan the whole run again.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]{0,31}://[^:/?#\s@]+:)[^@/?#\s]+@"), rf"\1{REDACTED}@", ("@",)),
]


class _KnownValues:
    """The configured secrets (and their URL encodings), longest first, as one pattern."""

    def __init__(self) -> None:
        self.values: frozenset[str] = frozenset()
        self.pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, values: Iterable[str]) -> None:
        with self._lock:
            forms = {form for value in values if len(value) >= MIN_VALUE_LENGTH
                     for form in (value, quote(value, safe=""), quote_plus(value, safe=""), quote(value))}
            self.values = self.values | forms
            ordered = sorted(self.values, key=len, reverse=True)
            self.pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None


_known = _KnownValues()


def redact_values(values: Iterable[str | SecretStr | SecretBytes | None]) -> None:
    """Register secret values: from now on every redacted text hides them (also URL-encoded)."""
    plain: list[str] = []
    for value in values:
        if isinstance(value, SecretStr | SecretBytes):
            value = _plain(value)
        if value:
            plain.append(value)
    _known.add(plain)


def secret_values(settings: BaseModel) -> list[str]:
    """Every SecretStr/SecretBytes in the settings, also inside lists, dicts and nested models."""
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, SecretStr | SecretBytes):
            found.append(_plain(value))
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name))
        elif isinstance(value, Mapping):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple | set | frozenset):
            for item in value:
                walk(item)

    walk(settings)
    return [value for value in found if value]


def _plain(secret: SecretStr | SecretBytes) -> str:
    value = secret.get_secret_value()
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def redact(text: str) -> str:
    """The text with every secret this module knows of replaced by REDACTED."""
    pattern = _known.pattern
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    lowered = text.lower()
    for rule, replacement, triggers in _RULES:
        if any(trigger in lowered for trigger in triggers):
            text = rule.sub(replacement, text)
    return text


def _redacted_arg(arg: object) -> object:
    if arg is None or isinstance(arg, int | float):  # %d and %f need numbers; numbers are no secrets here
        return arg
    if isinstance(arg, str):
        return redact(arg)
    try:
        as_str, as_repr = str(arg), repr(arg)
    except Exception:  # noqa: BLE001 - an object that cannot print itself holds nothing we could leak
        return arg
    if redact(as_str) != as_str or redact(as_repr) != as_repr:
        return redact(as_str)  # the object would print a secret (e.g. an httpx.URL): its redacted text
    return arg


def _last_resort_arg(arg: object) -> object:
    """An argument when checking the record failed: numbers as they are, anything else as redacted text."""
    if arg is None or isinstance(arg, int | float):
        return arg
    try:
        return redact(str(arg))
    except Exception:  # noqa: BLE001 - an argument that cannot print itself
        return REDACTED


# Loggers whose records' formatter reads the argument tuple itself, not only through getMessage():
# uvicorn's AccessFormatter unpacks the five arguments of an access record (client, method, path, HTTP
# version, status) and fails on anything else, losing the line. Their records always keep that tuple,
# each argument redacted in place; a secret that only the assembled line shows is redacted in that line
# by RedactingFormatter.
ARGS_READ_BY_FORMATTER = ("uvicorn.access",)


def _formatter_reads_args(record: logging.LogRecord) -> bool:
    return isinstance(record.args, tuple) and any(
        record.name == name or record.name.startswith(f"{name}.") for name in ARGS_READ_BY_FORMATTER)


class RedactingFilter(logging.Filter):
    """Redacts a record in place (never drops one); see the module docstring for why both this and
    RedactingFormatter."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            self._redact(record)
        except Exception:  # noqa: BLE001 - a log call must never fail because of us: keep what is safe
            try:
                record.msg = redact(str(record.msg))
            except Exception:  # noqa: BLE001 - a message that cannot even print itself
                record.msg = f"{REDACTED} (a {record.name} record that could not be checked for secrets)"
            if _formatter_reads_args(record):
                record.args = tuple(_last_resort_arg(arg) for arg in record.args or ())
            else:
                record.args = None
        return True

    @staticmethod
    def _redact(record: logging.LogRecord) -> None:
        args = record.args
        if isinstance(args, Mapping):
            record.args = {k: _redacted_arg(v) for k, v in args.items()}
        elif isinstance(args, tuple) and args:
            record.args = tuple(_redacted_arg(arg) for arg in args)
        if record.args:
            try:
                message = record.getMessage()
            except Exception:  # noqa: BLE001 - bad arguments: handleError reports it, with what we redacted
                record.msg = redact(str(record.msg))
            else:
                if (clean := redact(message)) != message and not _formatter_reads_args(record):
                    # a secret across message and arguments: the record becomes its redacted text
                    record.msg, record.args = clean, None
                    record.__dict__.pop("color_message", None)  # uvicorn's coloured copy of the message
        else:
            record.msg = redact(record.msg) if isinstance(record.msg, str) else _redacted_arg(record.msg)
            if isinstance(color := record.__dict__.get("color_message"), str):
                record.__dict__["color_message"] = redact(color)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)


class RedactingFormatter(logging.Formatter):
    """Formats with `inner`, then redacts the whole string: message, arguments, traceback and all."""

    def __init__(self, inner: logging.Formatter | None = None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record))


def redacting_formatter(inner: Mapping[str, Any]) -> RedactingFormatter:
    """dictConfig factory: `{"()": redacting_formatter, "inner": <any dictConfig formatter spec>}`."""
    return RedactingFormatter(logging.config.DictConfigurator({}).configure_formatter(dict(inner)))


def redacted_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a dictConfig dictionary in which every handler redacts: RedactingFilter first among
    its filters, its formatter (or the default one) wrapped in RedactingFormatter."""
    result = {**config}
    formatters = {name: {"()": redacting_formatter, "inner": dict(spec)}
                  for name, spec in config.get("formatters", {}).items()}
    formatters["redacted-default"] = {"()": redacting_formatter, "inner": {}}
    result["formatters"] = formatters
    result["filters"] = {**config.get("filters", {}), "redact-secrets": {"()": RedactingFilter}}
    result["handlers"] = {
        name: {**spec, "formatter": spec.get("formatter", "redacted-default"),
               "filters": ["redact-secrets", *spec.get("filters", [])]}
        for name, spec in config.get("handlers", {}).items()
    }
    return result
