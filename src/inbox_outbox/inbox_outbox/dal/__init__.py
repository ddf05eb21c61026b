"""SQS access behind small functions; the only modules that talk to AWS."""
