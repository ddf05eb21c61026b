"""SQS as an event source: the long-polling poller and the records it delivers."""
