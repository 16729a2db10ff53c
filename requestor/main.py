"""Requestor: FastAPI on HTTP_PORT (8000) and the gRPC client of the Processor.

Run it as the seed does (`cd requestor && python main.py`) or as `dcent-requestor`.
"""
import sys
from pathlib import Path

if __package__ in (None, ""):  # `python main.py` from this folder: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def run() -> None:
    from requestor.app.config import get_settings
    from requestor.app.factory import create_app
    from shared.telemetry.tracing import configure_tracing
    from shared.utils.serve import serve

    settings = get_settings()
    configure_tracing("dcent-requestor")  # off unless OTEL_TRACES_EXPORTER is set; before the app and its engine exist
    serve(create_app(settings), settings, service="requestor", graceful_seconds=10)


if __name__ == "__main__":
    run()
