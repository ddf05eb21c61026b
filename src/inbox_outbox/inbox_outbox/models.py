"""Data shapes of the inbox/outbox: the POST /inbox body, the output-queue body, the outbox routes.

`InboxMessage` mirrors `components.schemas.InboxMessage` of the API's OpenAPI definition in
template.yaml bound for bound and pattern for pattern: API Gateway validates the body first and the
Lambda validates it again (the queue can also be written to directly), and the two must agree.
tests/unit/inbox_outbox/test_inbox_schema_agreement.py loads the schema from the template and
checks that they do. `OutboxReceipts` mirrors `components.schemas.OutboxReceipts` the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    field_validator,
    model_serializer,
)

from inbox_outbox.api_json import read_api_json

# The patterns are read by API Gateway's validator as Java regexes and here by Python's re, so
# they use only what both read alike: `(?![\s\S])` is the absolute end (Java's `$` also matches
# before a final line terminator, Python's before a final "\n"), and a surrogate code point is
# only ever an unpaired one (both engines see a valid pair as one code point).
ID_PATTERN = r"^[A-Za-z0-9._:-]+(?![\s\S])"
TYPE_PATTERN = r"^[A-Za-z0-9._-]+(?![\s\S])"
MESSAGE_PATTERN = r"^[^\uD800-\uDFFF]*(?![\s\S])"

MessageId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=ID_PATTERN)]
MessageText = Annotated[
    str, StringConstraints(min_length=1, max_length=65536, pattern=MESSAGE_PATTERN)
]
MessageType = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=TYPE_PATTERN)]


class InboxMessage(BaseModel):
    """Body of POST /inbox as it arrives on the input queue."""

    # strict: JSON Schema's `type: string` accepts no numbers or booleans, so neither do we.
    # forbid: the schema says additionalProperties: false.
    # python-re: the patterns' lookahead, which pydantic's default Rust regex engine lacks.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, regex_engine="python-re")

    id: MessageId
    message: MessageText
    type: MessageType | None = None

    @field_validator("type", mode="before")
    @classmethod
    def _reject_explicit_null(cls, value: object) -> object:
        # The schema makes `type` optional but not nullable: {"type": null} is a 400 at the API,
        # so it must be a validation error here too (defaults skip this validator).
        if value is None:
            raise ValueError("type must be a string when present, not null")
        return value


InboxBody = Annotated[InboxMessage, BeforeValidator(read_api_json)]
"""An input-queue body: JSON text parsed as API Gateway parses it, then an `InboxMessage`."""


class InboxSqsRecord(SqsRecordModel):
    """Powertools Parser model of an input-queue SQS record whose body is an `InboxMessage`."""

    body: InboxBody


class OutboxMessage(BaseModel):
    """Body the process-input function sends to the output queue."""

    # ignore: a newer producer may add fields; readers of older bodies must not break.
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    message: str
    type: str | None
    received_at: datetime = Field(description="When the input queue accepted the message (UTC).")
    inbox_message_id: str = Field(
        description="SQS MessageId on the input queue: the messageId POST /inbox answered."
    )


# SQS batch calls (DeleteMessageBatch, ChangeMessageVisibilityBatch) take at most 10 entries, and
# a GET /outbox page holds at most 10 messages.
MAX_RECEIPTS = 10
# SQS documents no maximum length of a receipt handle (observed: a few hundred characters).
MAX_RECEIPT_LENGTH = 8192

Receipt = Annotated[str, StringConstraints(min_length=1, max_length=MAX_RECEIPT_LENGTH)]


class OutboxItem(BaseModel):
    """One element of the GET /outbox response."""

    model_config = ConfigDict(frozen=True, serialize_by_alias=True)

    id: str | None
    message: str | None
    type: str | None
    received_at: datetime | None
    # The messageId POST /inbox answered (the input queue's MessageId): stable across every
    # redelivery, so it is what consumers deduplicate on. For a raw body (not written by the
    # process-input function) it is the output queue's MessageId, as there is no inbox one.
    message_id: str = Field(serialization_alias="messageId")
    # The SQS ReceiptHandle of this lease: POST /outbox/acks or /outbox/releases takes it.
    receipt: str
    # The raw body, set only when it was not an OutboxMessage: returned rather than lost.
    raw: str | None = None

    @model_serializer(mode="wrap")
    def _omit_raw_unless_set(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if self.raw is None:
            data.pop("raw", None)
        return data


class OutboxPage(BaseModel):
    """The GET /outbox response body."""

    model_config = ConfigDict(frozen=True, serialize_by_alias=True)

    messages: list[OutboxItem]
    count: int
    # True when messages were received but left out to keep the response under Lambda's limit:
    # they were released (visible again at once), so reading again gets them.
    more: bool


class OutboxReceipts(BaseModel):
    """Body of POST /outbox/acks and POST /outbox/releases."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    receipts: Annotated[list[Receipt], Field(min_length=1, max_length=MAX_RECEIPTS)]

    @field_validator("receipts")
    @classmethod
    def _unique(cls, receipts: list[str]) -> list[str]:
        # The schema says uniqueItems: each receipt gets exactly one result.
        if len(set(receipts)) != len(receipts):
            raise ValueError("receipts must be unique")
        return receipts


class ReceiptFailure(BaseModel):
    """A receipt SQS refused, with its error code (e.g. ReceiptHandleIsInvalid) and message."""

    model_config = ConfigDict(frozen=True)

    receipt: str
    code: str
    message: str


class AcknowledgeResult(BaseModel):
    """The POST /outbox/acks response body: every receipt is in exactly one of the two lists."""

    model_config = ConfigDict(frozen=True)

    acknowledged: list[str]
    failed: list[ReceiptFailure]


class ReleaseResult(BaseModel):
    """The POST /outbox/releases response body: every receipt is in exactly one of the two lists."""

    model_config = ConfigDict(frozen=True)

    released: list[str]
    failed: list[ReceiptFailure]
