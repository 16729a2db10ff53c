"""How the production profile judges a secret: long enough, and not guessable by its look.

The estimate is the string's own Shannon entropy times its length: it catches repetition
(`aaaa…`, `passwordpassword…`), small alphabets and placeholders, not every human-made phrase —
so generate secrets (`dcent-token new-key`, `openssl rand -base64 32`) rather than type them.
"""
from __future__ import annotations

import math
from collections import Counter

MIN_SECRET_LENGTH = 32
MIN_SECRET_BITS = 128
PLACEHOLDER_WORDS = ("change", "secret", "password", "example", "default", "dev-")


def estimated_bits(secret: str) -> float:
    counts, n = Counter(secret), len(secret)
    return -sum(c / n * math.log2(c / n) for c in counts.values()) * n if n else 0.0


def weakness(secret: str) -> str | None:
    """Why this secret is too weak for production, or None."""
    if len(secret) < MIN_SECRET_LENGTH:
        return f"shorter than {MIN_SECRET_LENGTH} characters"
    if any(word in secret.lower() for word in PLACEHOLDER_WORDS):
        return "a placeholder or a word, not a generated secret"
    if estimated_bits(secret) < MIN_SECRET_BITS:
        return f"too predictable (about {abs(estimated_bits(secret)):.0f} bits; at least {MIN_SECRET_BITS} needed)"
    return None
