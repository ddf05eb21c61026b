"""Pure business rules of the record stream: no AWS calls, no clock reads, no environment."""
