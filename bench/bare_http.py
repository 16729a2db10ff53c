"""P1's baseline: a bare FastAPI endpoint that only validates the same Pydantic model, served by
the same `serve()` (uvicorn, uvloop + httptools, one worker) with the same settings.

    python -m bench.bare_http PORT
"""
from __future__ import annotations

import sys

from fastapi import FastAPI, status

from processor.app.schemas.proposals import ProposalSubmission
from shared.config import CommonSettings
from shared.utils.serve import serve

app = FastAPI()


@app.post("/api/v1/proposal-submissions", status_code=status.HTTP_201_CREATED)
async def submit(body: ProposalSubmission) -> dict:
    return {"OrderReqID": body.order_req_id, "Result": "created"}


@app.get("/health")
async def health() -> dict:
    return {"status": "ok"}


if __name__ == "__main__":
    serve(app, CommonSettings(_env_file=None, http_port=int(sys.argv[1]), log_level="WARNING"))
