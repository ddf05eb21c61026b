"""Settings parsed from the environment into a typed object."""

from __future__ import annotations

import pytest

from lambda_observability.env_settings import settings_from_env
from record_stream.settings import ProcessorSettings, SettingsError, WriteSettings


def test_processor_settings_from_template_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROCESSED_TABLE_NAME", "t")
    monkeypatch.setenv("REJECTED_RECORDS_QUEUE_URL", "https://sqs/q")
    monkeypatch.setenv("WRITE_CONCURRENCY", "4")
    monkeypatch.setenv("WRITE_RETRY_TIME_MARGIN_MS", "1500")
    for name in ("WRITE_MAX_ATTEMPTS", "WRITE_BACKOFF_BASE_MS", "WRITE_BACKOFF_CAP_MS"):
        monkeypatch.delenv(name, raising=False)
    assert settings_from_env(ProcessorSettings) == ProcessorSettings(
        processed_table_name="t",
        rejected_records_queue_url="https://sqs/q",
        write=WriteSettings(concurrency=4, retry_time_margin_ms=1500),
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PROCESSED_TABLE_NAME", ""),
        ("WRITE_CONCURRENCY", "eight"),
        ("WRITE_CONCURRENCY", "0"),
        ("WRITE_MAX_ATTEMPTS", "-1"),
        ("WRITE_RETRY_TIME_MARGIN_MS", "3s"),
    ],
)
def test_bad_settings_fail_loudly(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv("PROCESSED_TABLE_NAME", "t")
    monkeypatch.setenv("REJECTED_RECORDS_QUEUE_URL", "https://sqs/q")
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        settings_from_env(ProcessorSettings)
