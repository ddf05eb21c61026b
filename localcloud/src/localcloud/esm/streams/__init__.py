"""Kinesis and DynamoDB Streams as event sources: one shard poller shared by both sources."""
