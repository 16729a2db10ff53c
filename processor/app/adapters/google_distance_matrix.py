"""Google Distance Matrix API client (async httpx), in Google's own request and response format.

GET {API_GOOGLE_BOT_URL}/maps/api/distancematrix/json?origins=lat,lng&destinations=a|b|…&key=…
answers {"status": "OK", "rows": [{"elements": [{"status": "OK", "distance": {"value": m},
"duration": {"value": s}}, …]}]}. At most 25 destinations a request; requests run at most
`max_concurrent` at a time; 5xx, 429, network errors and OVER_QUERY_LIMIT are retried with
exponential backoff; REQUEST_DENIED, INVALID_REQUEST and the like are not. Each request (a retry
is another) is counted by its outcome in `stats`, for /metrics.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

# The port this adapter implements (RoadDistances), defined by the selection rules it serves.
from processor.app.domain.selection import DistanceMatrixError, Point, RoadDistance

__all__ = ["DistanceMatrixClient", "DistanceMatrixError", "DistanceMatrixStats", "RoadDistance"]
MAX_DESTINATIONS = 25
PATH = "/maps/api/distancematrix/json"


class _Retryable(DistanceMatrixError):
    pass


class _Refused(DistanceMatrixError):
    """Google answered, with a top-level status other than OK."""


class _RefusedForNow(_Refused, _Retryable):
    """OVER_QUERY_LIMIT: retried."""


@dataclass
class DistanceMatrixStats:
    """Requests sent to Google, by outcome."""

    ok: int = 0
    refused: int = 0  # a top-level status other than OK: OVER_QUERY_LIMIT, REQUEST_DENIED, INVALID_REQUEST…
    error: int = 0  # no usable answer: unreachable, timed out, an HTTP error, an unreadable body

    @property
    def requests(self) -> int:
        return self.ok + self.refused + self.error


class DistanceMatrixClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        api_key: str,
        *,
        max_concurrent: int = 4,
        attempts: int = 3,
        timeout: float = 5.0,
        backoff_initial: float = 0.2,
    ) -> None:
        self._http = http
        self._url = base_url.rstrip("/") + PATH
        self._key = api_key
        self._slots = asyncio.Semaphore(max_concurrent)
        self._attempts = attempts
        self._timeout = timeout
        self._backoff_initial = backoff_initial
        self.stats = DistanceMatrixStats()

    async def distances(self, origin: Point, destinations: list[Point]) -> list[RoadDistance]:
        """One RoadDistance per destination, in order."""
        chunks = [destinations[i:i + MAX_DESTINATIONS] for i in range(0, len(destinations), MAX_DESTINATIONS)]
        answers = await asyncio.gather(*(self._chunk(origin, chunk) for chunk in chunks))
        return [distance for answer in answers for distance in answer]

    async def _chunk(self, origin: Point, chunk: list[Point]) -> list[RoadDistance]:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential_jitter(multiplier=self._backoff_initial, max=5, jitter=self._backoff_initial),
            retry=retry_if_exception_type(_Retryable),
            reraise=True,
        )
        async with self._slots:
            async for attempt in retrying:
                with attempt:
                    return await self._request(origin, chunk)
        raise AssertionError("unreachable")

    async def _request(self, origin: Point, chunk: list[Point]) -> list[RoadDistance]:
        try:
            distances = await self._ask(origin, chunk)
        except _Refused:
            self.stats.refused += 1
            raise
        except Exception:
            self.stats.error += 1
            raise
        self.stats.ok += 1
        return distances

    async def _ask(self, origin: Point, chunk: list[Point]) -> list[RoadDistance]:
        params = {
            "origins": _point(origin),
            "destinations": "|".join(_point(d) for d in chunk),
            "units": "metric",
            "key": self._key,
        }
        try:
            response = await self._http.get(self._url, params=params, timeout=self._timeout)
        except httpx.TransportError as exc:
            raise _Retryable(f"Distance Matrix unreachable: {type(exc).__name__}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise _Retryable(f"Distance Matrix answered HTTP {response.status_code}")
        if response.status_code != 200:
            raise DistanceMatrixError(f"Distance Matrix answered HTTP {response.status_code}")
        try:
            body = response.json()
            status = body["status"]
        except (ValueError, KeyError, TypeError) as exc:
            raise DistanceMatrixError("Distance Matrix sent an unreadable answer") from exc
        if status == "OVER_QUERY_LIMIT":
            raise _RefusedForNow("OVER_QUERY_LIMIT")
        if status != "OK":
            raise _Refused(f"{status}: {body.get('error_message', '')}".rstrip(": "))
        try:
            elements = body["rows"][0]["elements"]
        except (KeyError, IndexError, TypeError) as exc:
            raise DistanceMatrixError("Distance Matrix answer has no rows[0].elements") from exc
        if len(elements) != len(chunk):
            raise DistanceMatrixError(
                f"Distance Matrix answered {len(elements)} elements for {len(chunk)} destinations")
        return [
            RoadDistance(
                status=e.get("status", "UNKNOWN"),
                distance_m=(e.get("distance") or {}).get("value"),
                duration_s=(e.get("duration") or {}).get("value"),
            )
            for e in elements
        ]


def _point(point: Point) -> str:
    return f"{point[0]:.6f},{point[1]:.6f}"
