"""Fuzzing what the functions print at INFO: no record data or message body ever appears, even
with the event logged whole (Powertools' log_event, on here: its redacting formatter must hold).

Every string the generators put in a record or a body carries MARKER, so a leak of any part of
one shows up as MARKER in the captured output (log lines as Lambda prints them, exception text
the runtime would print, the metrics blob); data that cannot carry it (arbitrary bytes) is looked
for by its base64 form.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator, Sized
from contextlib import ExitStack, contextmanager

from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbox_outbox.handlers.process_input import lambda_handler
from lambda_observability.powertools import logger
from record_stream.dal import clients
from record_stream.settings import processor_settings
from tests.unit.fuzz import tally
from tests.unit.fuzz.conftest import Cloud
from tests.unit.fuzz.inbox_account import drain_input_like_lambda, fresh_inbox_queues, send_bodies
from tests.unit.fuzz.inbox_cases import IDS, TYPES, BodyCase, Vocabulary, bodies
from tests.unit.fuzz.kinesis_cases import DataCase, batches, kinesis_event, secret_strings
from tests.unit.fuzz.log_capture import logging_events, printed_at_info
from tests.unit.fuzz.stream_account import fresh_stream_account, invoke
from tests.unit.fuzz.tally import ScenarioTally
from tests.unit.record_stream.stream_faults import fail_calls, hold_back_items

MARKER = "SeCrEt"
LOG_PROPERTY = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
STREAM_FAULTS = ["none", "write_errors", "unprocessed_items", "rejected_queue_down"]


def _log_tally(cases: Sized, invocations: int, printed: list[str]) -> ScenarioTally:
    return ScenarioTally(
        examples=1,
        sent=len(cases),
        invocations=invocations,
        lines=len(printed),
        leaks=sum(1 for line in printed if MARKER in line),
    )


@contextmanager
def _stream_fault(name: str, table: str) -> Iterator[None]:
    """Transient faults make the handler take its warning paths, which log more."""
    dynamodb = clients.dynamodb_client(processor_settings().write.concurrency)
    with ExitStack() as stack:
        if name == "write_errors":
            stack.enter_context(fail_calls(dynamodb, "dynamodb.BatchWriteItem", "InternalError"))
        elif name == "unprocessed_items":
            stack.enter_context(hold_back_items(dynamodb, table, lambda item, attempt: True))
        elif name == "rejected_queue_down":
            stack.enter_context(
                fail_calls(clients.sqs_client(), "sqs.SendMessageBatch", "ServiceUnavailable")
            )
        yield


@LOG_PROPERTY
@given(cases=batches(strings=secret_strings(MARKER)), fault=st.sampled_from(STREAM_FAULTS))
def test_record_data_never_reaches_info_output(
    cloud: Cloud, cases: list[DataCase], fault: str
) -> None:
    event = kinesis_event(cases)
    with fresh_stream_account(cloud) as account:
        with printed_at_info(logger) as printed, _stream_fault(fault, account.table):
            try:
                invoke(event, log_event=True)
            except BatchProcessingError as error:
                # Every record failed: Lambda's runtime prints the error and its traceback.
                printed.append("".join(traceback.format_exception(error)))
        output = "\n".join(printed)
        tally.record("record-stream logs at INFO", _log_tally(cases, 1, printed))

    assert '"_aws"' in output, "the metrics blob was not captured: the capture is broken"
    assert '"data":"[redacted: ' in output, "the logged event was not captured"
    if any(not case.valid for case in cases):
        assert '"Records rejected"' in output
    assert MARKER not in output
    for record in event["Records"]:
        data = record["kinesis"]["data"]
        if len(data) >= 16:  # shorter base64 could occur in a log line by chance
            assert data not in output


def _marked(strategy: st.SearchStrategy[str], limit: int) -> st.SearchStrategy[str]:
    return strategy.map(lambda text: f"{MARKER}{text}"[:limit])


MARKED_WORDS = Vocabulary(
    texts=secret_strings(MARKER),
    ids=_marked(IDS, 128),
    types=_marked(TYPES, 64),
    # Unexpected field names are body content too (pydantic reports them as error locations).
    field_names=_marked(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=10), 20
    ),
)


@LOG_PROPERTY
@given(cases=bodies(MARKED_WORDS, any_text=False))
def test_message_bodies_never_reach_info_output(cloud: Cloud, cases: list[BodyCase]) -> None:
    sqs = cloud.sqs
    with fresh_inbox_queues(sqs) as queues:
        send_bodies(sqs, queues.input.url, [case.body for case in cases])
        with printed_at_info(logger) as printed:
            log = drain_input_like_lambda(
                sqs, queues, max_polls=6 * len(cases) + 5, handler=logging_events(lambda_handler)
            )
        output = "\n".join(printed)
        tally.record("inbox logs at INFO", _log_tally(cases, log.invocations, printed))

    assert '"Batch processed"' in output, "the summary line was not captured"
    assert '"body":"[redacted: ' in output, "the logged events were not captured"
    assert MARKER not in output


def test_names_of_unexpected_fields_never_reach_info_output(cloud: Cloud) -> None:
    sqs = cloud.sqs
    body = '{"id": "a-1", "message": "hello", "' + MARKER + '-card-4111111111111111": "x"}'
    with fresh_inbox_queues(sqs) as queues:
        send_bodies(sqs, queues.input.url, [body])
        with printed_at_info(logger) as printed:
            drain_input_like_lambda(sqs, queues, max_polls=10)
    output = "\n".join(printed)
    assert '"Message rejected"' in output
    assert MARKER not in output
