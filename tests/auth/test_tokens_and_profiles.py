"""Tokens (signature, times, audience, issuer, rotation, encodings): fast unit tests."""
import base64
import json
import time

import jwt
import pytest

from shared.auth import Role, TokenSigner
from shared.auth.tokens import Audience
from shared.errors import Unauthorized

OLD, NEW = {"k-old": "o" * 40}, {"k-new": "n" * 40}
SELLERS = Audience.PROCESSOR


def b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def signed(header: dict, claims_json: str, secret: str = "n" * 40) -> str:
    """A token with exactly these claims (JSON as given: NaN and Infinity are spellable)."""
    signing_input = f"{b64(header)}.{b64(claims_json.encode())}"
    signature = jwt.api_jws.get_algorithm_by_name("HS256").sign(signing_input.encode(), secret.encode())
    return f"{signing_input}.{b64(signature)}"


def claims_json(**overrides) -> str:
    now = int(time.time())
    claims = {"iss": "dcent-communicator", "aud": "dcent-processor", "sub": "SELLER-001", "role": "seller",
              "iat": now, "exp": now + 600, **overrides}
    return json.dumps({k: v for k, v in claims.items() if v is not None})


HEADER = {"alg": "HS256", "typ": "JWT", "kid": "k-new"}


def test_a_token_names_its_caller_until_it_expires():
    signer = TokenSigner(NEW)
    token = signer.issue(Role.SELLER, "SELLER-001", ttl_seconds=60, now=1000)
    principal = signer.verify(token, audience=SELLERS, now=1050)
    assert (principal.role, principal.subject, principal.expires_at) == (Role.SELLER, "SELLER-001", 1060)
    with pytest.raises(Unauthorized, match="expired"):
        signer.verify(token, audience=SELLERS, now=1000 + 60 + 31)  # past the 30 s leeway


def test_issued_tokens_carry_the_standard_claims_and_a_configured_key_id():
    token = TokenSigner(NEW).issue(Role.BUYER, "SESSION-1", ttl_seconds=60)
    assert jwt.get_unverified_header(token)["kid"] == "k-new"
    claims = jwt.decode(token, "n" * 40, algorithms=["HS256"], audience="dcent-requestor", issuer="dcent-communicator")
    assert {"exp", "iat", "sub", "iss", "aud", "role"} <= claims.keys()


@pytest.mark.parametrize("token, reason", [
    (signed(HEADER, claims_json(exp=None)), "malformed"),
    (signed(HEADER, claims_json(iat=None)), "malformed"),
    (signed(HEADER, claims_json(sub=None)), "malformed"),
    (signed(HEADER, claims_json().replace('"exp": ', '"exp": NaN, "x": ')), "whole seconds"),
    (signed(HEADER, claims_json().replace('"exp": ', '"exp": Infinity, "x": ')), "malformed|whole seconds"),
    (signed(HEADER, claims_json().replace('"exp": ', '"exp": 1e400, "x": ')), "malformed|whole seconds"),
    (signed(HEADER, claims_json(exp=f"{int(time.time()) + 600}")), "malformed|whole seconds"),
    (signed(HEADER, claims_json(exp=True)), "whole seconds"),
    (signed(HEADER, claims_json(nbf=int(time.time()) + 3600)), "not valid yet"),
    (signed(HEADER, claims_json(iat=int(time.time()) + 3600)), "not valid yet"),
    (signed(HEADER, claims_json(aud="dcent-requestor")), "another service"),
    (signed(HEADER, claims_json(aud=["dcent-processor", "dcent-requestor"])), "another service|malformed"),
    (signed(HEADER, claims_json(iss="someone-else")), "does not trust"),
    (signed({**HEADER, "kid": "k-unknown"}, claims_json()), "key this service knows"),
    (signed({**HEADER, "alg": "none"}, claims_json()), "key this service knows"),
    (signed(HEADER, claims_json(), secret="x" * 40), "signature"),
    (signed(HEADER, claims_json(role="anyone")), "names no caller"),
    (signed(HEADER, claims_json(sub="")), "names no caller|malformed"),
], ids=["no-exp", "no-iat", "no-sub", "exp-nan", "exp-inf", "exp-huge", "exp-string", "exp-bool", "future-nbf",
        "future-iat", "wrong-aud", "two-auds", "wrong-iss", "unknown-kid", "alg-none", "wrong-secret",
        "role-anyone", "empty-sub"])
def test_each_token_defect_is_refused_with_its_reason(token, reason):
    with pytest.raises(Unauthorized, match=reason):
        TokenSigner(NEW).verify(token, audience=SELLERS)


def test_a_well_formed_hand_made_token_passes_so_the_defects_above_are_the_cause():
    assert TokenSigner(NEW).verify(signed(HEADER, claims_json()), audience=SELLERS).subject == "SELLER-001"


def test_a_buyer_token_is_not_accepted_by_the_processor():
    buyer = TokenSigner(NEW).issue(Role.BUYER, "SESSION-1", ttl_seconds=60)
    assert TokenSigner(NEW).verify(buyer, audience=Audience.REQUESTOR).subject == "SESSION-1"
    with pytest.raises(Unauthorized, match="another service"):
        TokenSigner(NEW).verify(buyer, audience=Audience.PROCESSOR)


@pytest.mark.parametrize("alter", [
    lambda s: s + "=",                          # padding
    lambda s: s[:-1] + chr(ord(s[-1]) + 1) if s[-1] not in "zZ9_-" else s[:-1] + "A",  # other trailing bits
    lambda s: s.replace("-", "+").replace("_", "/") if ("-" in s or "_" in s) else s + "+",  # standard alphabet
    lambda s: s + " ",
], ids=["padded", "trailing-bits", "std-alphabet", "space"])
def test_only_the_canonical_encoding_of_a_token_is_accepted(alter):
    token = TokenSigner(NEW).issue(Role.SELLER, "SELLER-001", ttl_seconds=60)
    header, claims, signature = token.split(".")
    for variant in (f"{alter(header)}.{claims}.{signature}", f"{header}.{claims}.{alter(signature)}"):
        assert variant != token
        with pytest.raises(Unauthorized):
            TokenSigner(NEW).verify(variant, audience=SELLERS)


@pytest.mark.parametrize("mangle", [
    lambda t: t + "x", lambda t: t.split(".")[0] + ".e30." + t.split(".")[2], lambda t: "not.a-token",
    lambda t: "", lambda t: "a.b.c.d", lambda t: "é.é.é",
])
def test_altered_or_malformed_tokens_are_refused(mangle):
    token = TokenSigner(NEW).issue(Role.BUYER, "SESSION-1", ttl_seconds=60)
    with pytest.raises(Unauthorized):
        TokenSigner(NEW).verify(mangle(token), audience=Audience.REQUESTOR)


def test_rotation_new_key_first_old_tokens_still_verify_until_removed():
    old_token = TokenSigner(OLD).issue(Role.SELLER, "SELLER-001", ttl_seconds=60)
    rotating = TokenSigner({**NEW, **OLD})
    assert rotating.verify(old_token, audience=SELLERS).subject == "SELLER-001"
    new_token = rotating.issue(Role.SELLER, "SELLER-001", ttl_seconds=60)
    assert jwt.get_unverified_header(new_token)["kid"] == "k-new"
    assert TokenSigner(NEW).verify(new_token, audience=SELLERS).subject == "SELLER-001"
    with pytest.raises(Unauthorized, match="key"):
        TokenSigner(NEW).verify(old_token, audience=SELLERS)


def test_lifetimes_are_bounded_when_issued_and_when_verified():
    bounded = TokenSigner(NEW, max_lifetime_seconds=3600)
    with pytest.raises(ValueError, match="AUTH_TOKEN_MAX_HOURS"):
        bounded.issue(Role.SELLER, "SELLER-001", ttl_seconds=7200)
    long_lived = TokenSigner(NEW).issue(Role.SELLER, "SELLER-001", ttl_seconds=7200)
    with pytest.raises(Unauthorized, match="AUTH_TOKEN_MAX_HOURS"):
        bounded.verify(long_lived, audience=SELLERS)
