"""dcent-token signs with the keys it is given, and only those: never silently with the built-in one."""
import json

import jwt
import pytest

from shared.auth.cli import main


def test_without_keys_it_refuses_unless_told_to_use_the_development_key(monkeypatch, capsys):
    monkeypatch.delenv("AUTH_TOKEN_SECRETS", raising=False)
    with pytest.raises(SystemExit, match="AUTH_TOKEN_SECRETS is not set"):
        main(["service", "requestor"])
    main(["buyer", "SESSION-1", "--development"])
    assert jwt.get_unverified_header(capsys.readouterr().out.strip())["kid"] == "dev"


def test_it_signs_with_the_first_given_key_whatever_the_profile_says(monkeypatch, capsys):
    main(["new-key"])
    keys = json.loads(capsys.readouterr().out)
    monkeypatch.setenv("AUTH_TOKEN_SECRETS", json.dumps(keys))
    monkeypatch.setenv("ENVIRONMENT", "production")  # no database, Kafka or TLS settings: not its business
    main(["service", "requestor", "--hours", "8760"])
    token = capsys.readouterr().out.strip()
    [(kid, secret)] = keys.items()
    assert jwt.get_unverified_header(token)["kid"] == kid
    claims = jwt.decode(token, secret, algorithms=["HS256"], audience="dcent-processor")
    assert (claims["role"], claims["sub"], claims["exp"] - claims["iat"]) == ("service", "requestor", 8760 * 3600)
    with pytest.raises(SystemExit, match="AUTH_TOKEN_MAX_HOURS"):
        main(["seller", "SELLER-001", "--hours", "9000"])
