"""Data access of the record stream: DynamoDB batch writes and the rejected-records queue."""
