"""The request and response bodies of the seed API, as pydantic models.

Field names and types follow the seed documents (``RequestEngagementResponse``,
``PostEngagementMessageRequest`` and ``PostEngagementMessageResponse``). Requests ignore
fields they do not know, as the chat API's clients send more than this server uses; a
known field of the wrong type is a 400.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ErrorResponse",
    "PostEngagementMessageRequest",
    "PostEngagementMessageResponse",
    "RequestEngagementRequest",
    "RequestEngagementResponse",
    "StreamEntry",
    "StreamResponse",
    "iso_time",
]


def iso_time(seconds: float) -> str:
    """A time as the seed writes it: ``2018-10-16T12:28:46.544Z``."""
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class _Request(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    clientRequestTime: str | None = Field(
        None, description="The local time of the requesting client (echoed back)."
    )
    clientTransactionId: int | None = Field(
        None, description="Links a response to its request; echoed back."
    )
    clientTransactionIdString: str | None = Field(
        None, description="The client transaction id as a string; echoed back."
    )


class RequestEngagementRequest(_Request):
    """The body of ``requestEngagement``: may be empty (``{}``)."""


class PostEngagementMessageRequest(_Request):
    """The body of ``postMessage``."""

    body: str = Field(description="The message text.")
    messageDataMap: dict[str, str] | None = Field(
        None, description="Optional client key/value pairs for this message."
    )

    @property
    def retry_key(self) -> str | None:
        """The engine's retry key: the client's transaction id together with the text.

        A retry (same id, same text) gets the verdict of the first attempt and is not
        delivered twice; a client that reuses one id for different texts (the seed's
        examples send 0, and 0 means none) has every text checked. Hashed, so the log
        record never carries client-chosen text.
        """
        given = self.clientTransactionIdString or (
            None if self.clientTransactionId is None else str(self.clientTransactionId)
        )
        if not given or given == "0":
            return None
        data = f"{given}\0{self.body}".encode("utf-8", "surrogatepass")
        return hashlib.blake2b(data, digest_size=16).hexdigest()


class _Timed(BaseModel):
    clientRequestTime: str | None
    serviceStartTime: str
    serviceFinishTime: str
    clientId: int
    clientIdString: str
    clientTransactionId: int
    clientTransactionIdString: str


class RequestEngagementResponse(_Timed):
    """The answer to ``requestEngagement`` (fields as in the seed's example)."""

    engagementId: int
    engagementIdString: str
    cancelledSurveyId: int = 0
    cancelledSurveyIdString: str = "0"
    completedSurveyId: int = 0
    completedSurveyIdString: str = "0"
    cancelledSurveyAuth: str = ""
    completedSurveyAuth: str = ""
    resultType: Literal["SUCCESS"] = "SUCCESS"
    sessionId: str
    sneakPreviewState: Literal[
        "NONE", "ENABLED", "DISABLED", "SITE_UNAVAILABLE", "SERVICE_UNAVAILABLE"
    ] = "DISABLED"
    sneakPreviewInterval: int = 3000


class PostEngagementMessageResponse(_Timed):
    """The answer to ``postMessage`` when the post was accepted or blocked (200)."""


class StreamEntry(BaseModel):
    """One entry of the conversation stream."""

    seq: int = Field(description="Position in the stream, from 1.")
    type: Literal["MESSAGE", "SYSTEM"]
    sender: Literal["END_USER", "AGENT", "SYSTEM"]
    body: str
    time: str


class StreamResponse(BaseModel):
    """The conversation stream since a position."""

    engagementId: int
    engagementState: Literal["ACTIVE", "CONCLUDED"]
    messages: list[StreamEntry]
    next: int = Field(description="Pass as `since` to read only what comes after.")


class ErrorResponse(BaseModel):
    """Every error answer: a message for people, never a reason code."""

    message: str
