"""Inbox/outbox: API Gateway POST /inbox -> SQS -> Lambda -> SQS, GET /outbox -> Lambda."""
