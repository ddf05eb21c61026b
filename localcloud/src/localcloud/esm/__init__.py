"""Event source mappings of the local cloud: pollers that feed Kinesis, DynamoDB Streams and SQS
records to functions the way Lambda's own pollers do (modelled on LocalStack's ESM v2).

Entry point: :class:`localcloud.esm.supervisor.EventSourceMappingSupervisor`.
"""
