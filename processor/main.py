"""Processor: FastAPI on HTTP_PORT (8001) and grpc.aio on GRPC_SERVER_PORT (50051), one event loop.

Run it as the seed does (`cd processor && python main.py`) or as `dcent-processor`.
"""
import sys
from pathlib import Path

if __package__ in (None, ""):  # `python main.py` from this folder: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def run() -> None:
    from processor.app.config import get_settings
    from processor.app.factory import create_app
    from shared.telemetry.tracing import configure_tracing
    from shared.utils.serve import serve

    settings = get_settings()
    configure_tracing("dcent-processor")  # off unless OTEL_TRACES_EXPORTER is set; before the app and its engine exist
    serve(create_app(settings), settings, service="processor", graceful_seconds=settings.grpc_grace_seconds + 5)


if __name__ == "__main__":
    run()
