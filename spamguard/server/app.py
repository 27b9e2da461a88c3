"""The reference server's routes: the seed's consumer API, an agent side, the stream.

Every posted message goes through `Engine.acheck` before anything else happens to it, and
the verdict is carried out by `Engagement.carry_out`. Payloads never hold reason codes or
thresholds: the engine logs each non-allow verdict as one structured record (logger
``spamguard``) and `/metrics` counts them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import jwt
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticSerializationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from spamguard.engine import Engine
from spamguard.errors import StoreError
from spamguard.message import Message, Role
from spamguard.server.engagements import (
    Engagement,
    Engagements,
    MemoryEngagements,
    Recorded,
    Sender,
    carry_out,
)
from spamguard.server.metrics import Metrics
from spamguard.server.openapi import openapi_document
from spamguard.server.schemas import (
    ErrorResponse,
    PostEngagementMessageRequest,
    PostEngagementMessageResponse,
    RequestEngagementRequest,
    RequestEngagementResponse,
    StreamEntry,
    StreamResponse,
    iso_time,
)
from spamguard.server.settings import ServerSettings
from spamguard.stores.redis import RedisStore
from spamguard.verdict import Action

__all__ = ["AGENT", "CONSUMER", "create_app"]

CONSUMER = "/engagement/api/consumer/{fqSiteName}/v1"
AGENT = "/engagement/api/agent/{fqSiteName}/v1"

_UNKNOWN_SESSION = "The consumer session identifier is unknown."
_BAD_TOKEN = "The validation on the JWT failed."
_CONCLUDED = "This chat has ended."
_UNAVAILABLE = "The chat service is unavailable; try again shortly."
_CLOCK_SKEW_S = 30  # the token issuer's clock may differ from ours by this much
_RETRY_CODE = "SG004"  # the engine answered a retried transaction with its first verdict
_MAX_SINCE_DIGITS = 18  # a stream position, never near 10**18

Handler = Callable[[Request], Awaitable[Response]]


class _HttpError(Exception):
    """An error answer: its status and its message for people."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def create_app(settings: ServerSettings, engine: Engine | None = None) -> Starlette:
    """The reference chat server as an ASGI app.

    Args:
        settings: The server's own settings (JWT secret, session TTL, body limit).
        engine: The spam engine; by default the shipped rules and the store that
            `Engine()` picks (``SPAMGUARD_STORE_URL``, the rules' ``store:`` or memory).
    """
    server = _Server(settings, engine or Engine())
    routes = [
        Route(f"{CONSUMER}/requestEngagement", server.request_engagement, methods=["POST"]),
        Route(f"{CONSUMER}/postMessage", server.consumer_post, methods=["POST"]),
        Route(f"{CONSUMER}/getMessages", server.consumer_stream, methods=["GET"]),
        Route(f"{AGENT}/postMessage", server.agent_post, methods=["POST"]),
        Route(f"{AGENT}/getMessages", server.agent_stream, methods=["GET"]),
        Route("/metrics", server.metrics_page, methods=["GET"]),
        Route("/health", server.health, methods=["GET"]),
        Route("/openapi.json", server.openapi, methods=["GET"]),
    ]
    # Starlette's own refusals (404, 405) answer like every other error. The body limit
    # is ours (`_read`): Starlette's answers 413 in plain text.
    return Starlette(routes=routes, exception_handlers={HTTPException: _http_exception})


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    answer = _json(ErrorResponse(message=exc.detail), exc.status_code)
    answer.headers.update(exc.headers or {})
    return answer


def _errors_answered(handler: Handler) -> Handler:
    async def answered(request: Request) -> Response:
        try:
            return await handler(request)
        except _HttpError as error:
            return _json(ErrorResponse(message=error.message), error.status)
        except StoreError:  # the engagements' Redis is down; the engine's store fails open
            return _json(ErrorResponse(message=_UNAVAILABLE), 503)

    return answered


def _engagements(engine: Engine, settings: ServerSettings) -> Engagements:
    """Engagements where the engine keeps its state: Redis is shared by every process."""
    store = engine.store
    if isinstance(store, RedisStore):
        from spamguard.server.redis_engagements import RedisEngagements  # noqa: PLC0415

        return RedisEngagements(
            store.url,
            ttl_s=settings.session_ttl_s,
            namespace=store.namespace,
            max_stream_entries=settings.max_stream_entries,
        )
    return MemoryEngagements(
        settings.session_ttl_s,
        settings.max_engagements,
        max_stream_entries=settings.max_stream_entries,
    )


class _Server:
    """The state behind the routes: settings, engine, engagements, metrics."""

    def __init__(self, settings: ServerSettings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self.engagements = _engagements(engine, settings)
        self.metrics = Metrics()
        self.limit = settings.max_body_bytes
        self._openapi = openapi_document()
        self.request_engagement = _errors_answered(self._request_engagement)
        self.consumer_post = _errors_answered(self._consumer_post)
        self.consumer_stream = _errors_answered(self._consumer_stream)
        self.agent_post = _errors_answered(self._agent_post)
        self.agent_stream = _errors_answered(self._agent_stream)

    # -- the consumer API ------------------------------------------------------------------

    async def _request_engagement(self, request: Request) -> Response:
        started = time.time()
        self._claims(request)
        body = await _body(request, RequestEngagementRequest, self.limit, empty_ok=True)
        pool = _pool(request)
        engagement = await self.engagements.open(request.path_params["fqSiteName"], pool)
        answer = RequestEngagementResponse(
            **_timing(body, started, engagement.client_id),
            engagementId=engagement.engagement_id,
            engagementIdString=str(engagement.engagement_id),
            sessionId=engagement.session_id,
        )
        return _json(answer)

    async def _consumer_post(self, request: Request) -> Response:
        started = time.time()
        engagement = await self._engagement(request, consumer=True)
        _pool(request)  # required as in requestEngagement; the engagement's pool is used
        body = await _body(request, PostEngagementMessageRequest, self.limit)
        message = _message(engagement, body, Role.END_USER, str(engagement.client_id))
        await self._judge(engagement, message, Sender.END_USER)
        return _json(PostEngagementMessageResponse(**_timing(body, started, engagement.client_id)))

    async def _consumer_stream(self, request: Request) -> Response:
        return await self._stream(await self._engagement(request, consumer=True), request)

    # -- the agent side --------------------------------------------------------------------

    async def _agent_post(self, request: Request) -> Response:
        started = time.time()
        claims = self._claims(request, agent=True)
        engagement = await self._engagement(request, consumer=False)
        body = await _body(request, PostEngagementMessageRequest, self.limit)
        message = _message(engagement, body, Role.AGENT, str(claims.get("sub") or "agent"))
        await self._judge(engagement, message, Sender.AGENT)
        return _json(PostEngagementMessageResponse(**_timing(body, started, engagement.client_id)))

    async def _agent_stream(self, request: Request) -> Response:
        self._claims(request, agent=True)
        return await self._stream(await self._engagement(request, consumer=False), request)

    # -- operations ------------------------------------------------------------------------

    async def metrics_page(self, request: Request) -> Response:
        """Prometheus metrics."""
        return Response(self.metrics.render(), media_type="text/plain; version=0.0.4")

    async def health(self, request: Request) -> Response:
        """The server and its store: 200 when the store answers, 503 when it does not."""
        store = self.engine.store
        ping: Callable[[], bool] | None = getattr(store, "ping", None)
        reachable = True if ping is None else await run_in_threadpool(ping)
        document = {
            "status": "ok" if reachable else "store-unavailable",
            "store": type(store).__name__,
            "storeReachable": reachable,
            "engagements": await self.engagements.count(),
        }
        return JSONResponse(document, status_code=200 if reachable else 503)

    async def openapi(self, request: Request) -> Response:
        """The OpenAPI description of these endpoints."""
        return JSONResponse(self._openapi)

    # -- internals -------------------------------------------------------------------------

    async def _judge(self, engagement: Engagement, message: Message, sender: Sender) -> None:
        """Check a post, carry the verdict out, and answer 409 if it ended the chat."""
        started = time.perf_counter()
        verdict = await self.engine.acheck(message)
        self.metrics.observe(verdict, message.role.value, time.perf_counter() - started)
        if _RETRY_CODE not in verdict.codes:  # a retry's first attempt was recorded already
            recorded = await self.engagements.record(
                engagement, carry_out(verdict, sender, message.text)
            )
            if recorded is Recorded.FORGOTTEN:
                raise _HttpError(403, _UNKNOWN_SESSION)
            if recorded is Recorded.CONCLUDED:
                raise _HttpError(409, _CONCLUDED)
        if verdict.action is Action.TERMINATE:
            raise _HttpError(409, verdict.notice or _CONCLUDED)

    def _claims(self, request: Request, *, agent: bool = False) -> dict[str, Any]:
        """The bearer token's claims; 403 unless it is valid (and an agent's, if asked)."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise _HttpError(403, _BAD_TOKEN)
        try:
            claims: dict[str, Any] = jwt.decode(
                token.strip(),
                self.settings.jwt_secret,
                algorithms=["HS256"],
                options={"require": ["exp"]},
                leeway=_CLOCK_SKEW_S,
            )
        except jwt.PyJWTError as error:
            raise _HttpError(403, _BAD_TOKEN) from error
        if agent and claims.get("role") != "agent":
            raise _HttpError(403, _BAD_TOKEN)
        return claims

    async def _engagement(self, request: Request, *, consumer: bool) -> Engagement:
        """The engagement of the ``SessionId`` header: 403 if unknown, 409 if concluded.

        A concluded engagement refuses its end user (the end user was disconnected); the
        agent may still read its stream, termination notices included.
        """
        session_id = request.headers.get("sessionid", "")
        engagement = await self.engagements.get(session_id) if session_id else None
        if engagement is None or engagement.site != request.path_params["fqSiteName"]:
            raise _HttpError(403, _UNKNOWN_SESSION)
        if engagement.concluded and (consumer or request.method == "POST"):
            raise _HttpError(409, _CONCLUDED)
        return engagement

    async def _stream(self, engagement: Engagement, request: Request) -> Response:
        raw = request.query_params.get("since", "0")
        if not raw.isascii() or not raw.isdigit() or len(raw) > _MAX_SINCE_DIGITS:
            raise _HttpError(400, "since must be a non-negative integer of at most 18 digits")
        limit = self.settings.max_read_entries
        entries, last = await self.engagements.read(engagement, int(raw), limit)
        answer = StreamResponse(
            engagementId=engagement.engagement_id,
            engagementState="CONCLUDED" if engagement.concluded else "ACTIVE",
            messages=[
                StreamEntry(
                    seq=entry.seq,
                    type=entry.kind.value,
                    sender=entry.sender.value,
                    body=entry.body,
                    time=iso_time(entry.time),
                )
                for entry in entries
            ],
            next=entries[-1].seq if entries else max(last, 0),
        )
        return _json(answer)


BodyT = TypeVar("BodyT", bound=BaseModel)


async def _read(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise _HttpError(413, f"the body is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:  # a chunked body, or a wrong Content-Length
            raise _HttpError(413, f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _body(
    request: Request, model: type[BodyT], limit: int, *, empty_ok: bool = False
) -> BodyT:
    """The request body validated by `model`: 400 with what is wrong otherwise."""
    raw = await _read(request, limit)
    if not raw.strip() and empty_ok:
        raw = b"{}"
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        # RecursionError: nesting deeper than the parser goes; ValueError also covers
        # integers longer than Python reads (4,300 digits).
        raise _HttpError(400, "the body is not valid JSON") from error
    if not isinstance(data, dict):
        raise _HttpError(400, "the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in error.errors()
        )
        raise _HttpError(400, f"invalid body: {problems}") from error


def _message(
    engagement: Engagement, body: PostEngagementMessageRequest, role: Role, sender: str
) -> Message:
    """What the engine checks: the site is the tenant, the pool the interface."""
    return Message(
        text=body.body,
        session=engagement.session_id,
        tenant=engagement.site,
        interface=engagement.pool,
        role=role,
        sender=sender,
        transaction_id=body.retry_key,
    )


def _pool(request: Request) -> str:
    pool = request.query_params.get("pool", "")
    if not pool:
        raise _HttpError(400, "the pool query parameter is required")
    return pool


def _timing(
    body: RequestEngagementRequest | PostEngagementMessageRequest, started: float, client_id: int
) -> dict[str, Any]:
    """The fields every answer of the seed carries: timing, client and transaction echo."""
    transaction = body.clientTransactionId or 0
    return {
        "clientRequestTime": body.clientRequestTime,
        "serviceStartTime": iso_time(started),
        "serviceFinishTime": iso_time(time.time()),
        "clientId": client_id,
        "clientIdString": str(client_id),
        "clientTransactionId": transaction,
        "clientTransactionIdString": body.clientTransactionIdString or str(transaction),
    }


def _json(model: BaseModel, status: int = 200) -> Response:
    try:
        content = model.model_dump_json()
    except PydanticSerializationError:
        # A lone surrogate (valid as a JSON escape in a posted body) has no UTF-8 form:
        # escape everything non-ASCII instead, which any JSON reader turns back.
        content = json.dumps(model.model_dump(mode="json"), separators=(",", ":"))
    return Response(content, status_code=status, media_type="application/json;charset=utf-8")
