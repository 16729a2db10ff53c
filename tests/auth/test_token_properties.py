"""Property: no mutation of a token makes the verifier accept what PyJWT's defaults refuse, and
no input makes it fail with anything but Unauthorized."""
import jwt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.auth import Role, TokenSigner
from shared.auth.tokens import Audience
from shared.errors import Unauthorized

SECRET = "s" * 16 + "t" * 16 + "u" * 16
SIGNER = TokenSigner({"k-1": SECRET})
TOKEN = SIGNER.issue(Role.SELLER, "SELLER-001", ttl_seconds=3600)
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=.+/ \x00é"


def pyjwt_accepts(token: str) -> bool:
    try:
        jwt.decode(token, SECRET, algorithms=["HS256"], audience=Audience.PROCESSOR.value,
                   issuer="dcent-communicator", leeway=30, options={"require": ["exp", "iat", "sub"]})
    except Exception:  # noqa: BLE001 - PyJWT refusing in any way
        return False
    return True


def ours_accepts(token: str) -> bool:
    try:
        SIGNER.verify(token, audience=Audience.PROCESSOR)
    except Unauthorized:
        return False
    return True


@st.composite
def mutated_tokens(draw: st.DrawFn) -> str:
    token = list(TOKEN)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["replace", "insert", "delete", "truncate", "swap-segments"]))
        at = draw(st.integers(0, max(0, len(token) - 1)))
        if kind == "replace" and token:
            token[at] = draw(st.sampled_from(ALPHABET))
        elif kind == "insert":
            token.insert(at, draw(st.sampled_from(ALPHABET)))
        elif kind == "delete" and token:
            del token[at]
        elif kind == "truncate":
            token = token[:at]
        elif kind == "swap-segments":
            parts = "".join(token).split(".")
            token = list(".".join(reversed(parts)))
    return "".join(token)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_tokens())
def test_no_mutated_token_is_accepted_that_pyjwt_refuses(token):
    if token != TOKEN:
        assert not ours_accepts(token) or pyjwt_accepts(token)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_refused_as_unauthorized_never_an_error(text):
    assert not ours_accepts(text)


def test_the_unmutated_token_is_accepted_by_both():
    assert ours_accepts(TOKEN) and pyjwt_accepts(TOKEN)
