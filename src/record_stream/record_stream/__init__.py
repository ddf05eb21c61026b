"""Record stream: Kinesis records {batch, id} -> processed-records table (plus a test listener)."""
