"""The OpenAPI 3.1 description the reference server serves at ``/openapi.json``."""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from spamguard.server.schemas import (
    ErrorResponse,
    PostEngagementMessageRequest,
    PostEngagementMessageResponse,
    RequestEngagementRequest,
    RequestEngagementResponse,
    StreamResponse,
)

__all__ = ["openapi_document"]

_CONSUMER = "/engagement/api/consumer/{fqSiteName}/v1"
_AGENT = "/engagement/api/agent/{fqSiteName}/v1"
_REF = "#/components/schemas/{model}"


def _ref(model: type[Any]) -> dict[str, Any]:
    return {"$ref": _REF.format(model=model.__name__)}


def _json(model: type[Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(model)}}}


def _errors(*statuses: tuple[int, str]) -> dict[str, Any]:
    return {str(status): _json(ErrorResponse, text) for status, text in statuses}


_SITE = {"name": "fqSiteName", "in": "path", "required": True, "schema": {"type": "string"}}
_POOL = {
    "name": "pool",
    "in": "query",
    "required": True,
    "schema": {"type": "string", "minLength": 1},
    "description": "The pool (interface) id; spamguard's rules can differ per pool.",
}
_SESSION = {"name": "SessionId", "in": "header", "required": True, "schema": {"type": "string"}}
_SINCE = {
    "name": "since",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"},
    "description": "Only entries after this position (`next` of the previous read).",
}
_UNAVAILABLE = "The engagements' store (Redis) does not answer."
_BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


def _body(model: type[Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(model)}}}


def openapi_document() -> dict[str, Any]:
    """The whole document: paths, bodies, answers and the bearer scheme."""
    _, definitions = models_json_schema(
        [
            (model, "validation" if model.__name__.endswith("Request") else "serialization")
            for model in (
                RequestEngagementRequest,
                RequestEngagementResponse,
                PostEngagementMessageRequest,
                PostEngagementMessageResponse,
                StreamResponse,
                ErrorResponse,
            )
        ],
        ref_template=_REF,
    )
    post_answers = {
        "200": _json(PostEngagementMessageResponse, "Accepted, or blocked: see the stream."),
        **_errors(
            (400, "The validation of the request object failed."),
            (403, "The session (or token) is unknown or invalid."),
            (409, "The chat was ended: by this post or before it."),
            (413, "The body is too large."),
            (503, _UNAVAILABLE),
        ),
    }
    stream_answers = {
        "200": _json(StreamResponse, "The conversation stream since the position."),
        **_errors(
            (400, "`since` is not a non-negative integer."),
            (403, "The session (or token) is unknown or invalid."),
            (409, "The chat was ended."),
            (503, _UNAVAILABLE),
        ),
    }
    paths = {
        f"{_CONSUMER}/requestEngagement": {
            "post": {
                "summary": "Create an engagement",
                "operationId": "requestEngagement",
                "security": _BEARER,
                "parameters": [_SITE, _POOL],
                "requestBody": {**_body(RequestEngagementRequest), "required": False},
                "responses": {
                    "200": _json(RequestEngagementResponse, "The engagement was created."),
                    **_errors(
                        (400, "The validation of the request object failed."),
                        (403, "The validation on the JWT failed."),
                        (413, "The body is too large."),
                        (503, _UNAVAILABLE),
                    ),
                },
            }
        },
        f"{_CONSUMER}/postMessage": {
            "post": {
                "summary": "Send a message (checked by spamguard first)",
                "operationId": "postMessage",
                "parameters": [_SITE, _POOL, _SESSION],
                "requestBody": _body(PostEngagementMessageRequest),
                "responses": post_answers,
            }
        },
        f"{_CONSUMER}/getMessages": {
            "get": {
                "summary": "Read the conversation stream",
                "operationId": "getMessages",
                "parameters": [_SITE, _SESSION, _SINCE],
                "responses": stream_answers,
            }
        },
        f"{_AGENT}/postMessage": {
            "post": {
                "summary": "Send a message as the agent",
                "operationId": "agentPostMessage",
                "security": _BEARER,
                "parameters": [_SITE, _SESSION],
                "requestBody": _body(PostEngagementMessageRequest),
                "responses": post_answers,
            }
        },
        f"{_AGENT}/getMessages": {
            "get": {
                "summary": "Read the conversation stream as the agent",
                "operationId": "agentGetMessages",
                "security": _BEARER,
                "parameters": [_SITE, _SESSION, _SINCE],
                "responses": stream_answers,
            }
        },
        "/health": {
            "get": {
                "summary": "The server and its store",
                "operationId": "health",
                "responses": {
                    "200": {"description": "The store answers."},
                    "503": {"description": "The store does not answer."},
                },
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics",
                "operationId": "metrics",
                "responses": {
                    "200": {
                        "description": "Verdicts by action and code, check latency.",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "spamguard reference chat server",
            "version": "1",
            "description": "The chat API's consumer operations with spamguard's Tier-1 checks.",
        },
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }
