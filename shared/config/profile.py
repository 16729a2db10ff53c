"""What each profile says at start-up."""
from __future__ import annotations

import logging

from shared.auth.tokens import DEV_TOKEN_SECRET
from shared.config import CommonSettings
from shared.telemetry.tracing import active

log = logging.getLogger("dcent.security")


def announce(settings: CommonSettings, service: str) -> None:
    if (tracing := active()) is not None:  # configured before logging was: said here
        logging.getLogger("dcent").info("%s: tracing on (%s)", service, tracing.description)
    if settings.auth_required:
        log.info("%s: authentication on (%s profile)", service, settings.environment)
        if DEV_TOKEN_SECRET in settings.token_secrets():
            log.warning("%s: tokens are checked with the built-in development key, which anyone can read "
                        "in the source: set AUTH_TOKEN_SECRETS (docs/security.md)", service)
        return
    log.warning(
        "\n%s\n  %s: AUTHENTICATION IS OFF (%s profile).\n  Anyone who can reach this port can act as any "
        "buyer or seller.\n  Fine on a laptop; set ENVIRONMENT=production (docs/security.md) anywhere else.\n%s",
        "!" * 78, service.upper(), settings.environment, "!" * 78,
    )
