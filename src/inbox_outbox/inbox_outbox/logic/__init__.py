"""Pure rules of the inbox/outbox: no AWS calls, testable without moto."""
