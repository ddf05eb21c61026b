"""Pure rules and settings, no AWS: backoff, failure kinds, queue URLs, outbox items, env."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from pydantic import ValidationError

from inbox_outbox.dal.input_queue import queue_url_from_arn
from inbox_outbox.logic.failure_visibility import (
    is_permanent,
    retry_delay_s,
    visibility_timeout_after_failure,
)
from inbox_outbox.logic.inbox_messages import MalformedMessageError, reject_poison_type
from inbox_outbox.logic.outbox_items import to_outbox_item
from inbox_outbox.logic.sqs_body import outbox_body
from inbox_outbox.models import InboxMessage, OutboxMessage
from inbox_outbox.settings import (
    CheckOutputSettings,
    ProcessInputSettings,
    RetryBackoff,
    SettingsError,
)
from lambda_observability.env_settings import settings_from_env

BACKOFF = RetryBackoff(base_s=5, max_s=120)
THROTTLED = ClientError({"Error": {"Code": "ThrottlingException"}}, "SendMessage")


def validation_error() -> ValidationError:
    try:
        InboxMessage.model_validate_json("{}")
    except ValidationError as error:
        return error
    raise AssertionError("expected a validation error")


@pytest.mark.parametrize(
    ("receive_count", "delay"), [(0, 5), (1, 5), (2, 10), (3, 20), (4, 40), (5, 80), (6, 120)]
)
def test_retry_delay_doubles_per_receive_up_to_the_cap(receive_count: int, delay: int) -> None:
    assert retry_delay_s(receive_count, BACKOFF) == delay


def test_retry_delay_stays_bounded_for_huge_receive_counts() -> None:
    assert retry_delay_s(10**9, BACKOFF) == 120


def test_permanent_failures_return_at_once_and_transient_ones_back_off() -> None:
    assert is_permanent(validation_error())
    assert is_permanent(MalformedMessageError("x"))
    assert not is_permanent(THROTTLED)
    assert visibility_timeout_after_failure(validation_error(), 3, BACKOFF) == 0
    assert visibility_timeout_after_failure(MalformedMessageError("x"), 3, BACKOFF) == 0
    assert visibility_timeout_after_failure(THROTTLED, 3, BACKOFF) == 20
    assert visibility_timeout_after_failure(KeyError("bug"), 1, BACKOFF) == 5


def test_poison_type_hook() -> None:
    message = InboxMessage(id="a", message="m", type="malformed")
    with pytest.raises(MalformedMessageError):
        reject_poison_type(message, "malformed")
    reject_poison_type(message, None)
    reject_poison_type(message, "other")
    reject_poison_type(InboxMessage(id="a", message="m"), "malformed")


@pytest.mark.parametrize(
    ("arn", "url"),
    [
        (
            "arn:aws:sqs:us-east-1:123456789012:app-InputQueue-X1",
            "https://sqs.us-east-1.amazonaws.com/123456789012/app-InputQueue-X1",
        ),
        (
            "arn:aws-cn:sqs:cn-north-1:123456789012:q",
            "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q",
        ),
    ],
)
def test_queue_url_from_arn(arn: str, url: str) -> None:
    assert queue_url_from_arn(arn) == url


@pytest.mark.parametrize("arn", ["", "arn:aws:sns:us-east-1:1:t", "not-an-arn"])
def test_queue_url_from_arn_rejects_other_arns(arn: str) -> None:
    with pytest.raises(ValueError, match="not an SQS queue ARN"):
        queue_url_from_arn(arn)


def test_outbox_item_from_a_forwarded_body_carries_the_inbox_message_id() -> None:
    body = json.dumps(
        {
            "id": "a",
            "message": "m",
            "type": None,
            "received_at": "2026-01-01T00:00:00Z",
            "inbox_message_id": "in-1",
            "added_later": True,
        }
    )
    item = to_outbox_item("out-1", "receipt-1", body).model_dump(mode="json")
    assert item == {
        "id": "a",
        "message": "m",
        "type": None,
        "received_at": "2026-01-01T00:00:00Z",
        "messageId": "in-1",
        "receipt": "receipt-1",
    }


@pytest.mark.parametrize("body", ["", "not json", "[1, 2]", '{"id": "a"}'])
def test_outbox_item_keeps_unparsable_bodies_raw_under_the_queue_message_id(body: str) -> None:
    item = to_outbox_item("out-1", "receipt-1", body).model_dump(mode="json")
    assert item["raw"] == body
    assert (item["messageId"], item["receipt"]) == ("out-1", "receipt-1")
    assert item["id"] is None


def test_process_input_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTPUT_QUEUE_URL", "https://example/q")
    monkeypatch.setenv("POISON_MESSAGE_TYPE", "  ")
    config = settings_from_env(ProcessInputSettings)
    assert config.output_queue_url == "https://example/q"
    assert config.poison_message_type is None
    assert config.retry_backoff == RetryBackoff(base_s=5, max_s=120)

    monkeypatch.setenv("POISON_MESSAGE_TYPE", "malformed")
    monkeypatch.setenv("RETRY_BACKOFF_BASE_SECONDS", "2")
    monkeypatch.setenv("RETRY_BACKOFF_MAX_SECONDS", "30")
    config = settings_from_env(ProcessInputSettings)
    assert config.poison_message_type == "malformed"
    assert config.retry_backoff == RetryBackoff(base_s=2, max_s=30)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OUTPUT_QUEUE_URL", ""),
        ("RETRY_BACKOFF_BASE_SECONDS", "soon"),
        ("RETRY_BACKOFF_BASE_SECONDS", "-1"),
        ("RETRY_BACKOFF_MAX_SECONDS", "43201"),
        ("RETRY_BACKOFF_MAX_SECONDS", "1"),  # below the default base of 5
    ],
)
def test_process_input_config_errors(
    name: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUTPUT_QUEUE_URL", "https://example/q")
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        settings_from_env(ProcessInputSettings)


def test_check_output_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTPUT_QUEUE_URL", "https://example/q")
    assert settings_from_env(CheckOutputSettings).receive_wait_s == 1
    monkeypatch.setenv("RECEIVE_WAIT_SECONDS", "20")
    assert settings_from_env(CheckOutputSettings).receive_wait_s == 20
    monkeypatch.setenv("RECEIVE_WAIT_SECONDS", "21")
    with pytest.raises(SettingsError, match="RECEIVE_WAIT_SECONDS"):
        settings_from_env(CheckOutputSettings)


# SQS's allowed set, written out independently of the module under test.
_SQS_ALLOWED = {0x9, 0xA, 0xD}


def _sqs_accepts(text: str) -> bool:
    return all(
        ord(c) in _SQS_ALLOWED
        or 0x20 <= ord(c) <= 0xD7FF
        or 0xE000 <= ord(c) <= 0xFFFD
        or 0x10000 <= ord(c) <= 0x10FFFF
        for c in text
    )


@pytest.mark.parametrize(
    "text",
    ["a\uffffb", "\ufffe", "ctl \x00\x01\x1f\x7f", "fine: é ✓ 🚀 \u2028 \ud7ff \ue000"],
    ids=["U+FFFF", "U+FFFE", "controls", "allowed"],
)
def test_outbox_body_holds_only_characters_sqs_accepts_and_reads_back(text: str) -> None:
    message = OutboxMessage(
        id="i",
        message=text,
        type=None,
        received_at="2026-01-01T00:00:00Z",  # type: ignore[arg-type]  # parsed by pydantic
        inbox_message_id="m",
    )

    body = outbox_body(message)

    assert _sqs_accepts(body)
    assert OutboxMessage.model_validate_json(body) == message
    if _sqs_accepts(message.model_dump_json()):  # nothing to escape: the body is unchanged
        assert body == message.model_dump_json()
    else:
        assert body != message.model_dump_json()
