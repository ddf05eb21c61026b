"""How long a message that failed processing stays invisible before its next receive.

Permanent failures (the body will never validate) become visible again at once, so the redrive
policy moves them to the DLQ within seconds rather than after maxReceiveCount x VisibilityTimeout
(5 x 180 s = 15 min). Anything else may be transient (throttling, a brief outage of the output
queue) and backs off exponentially by receive count.
"""

from __future__ import annotations

from pydantic import ValidationError

from inbox_outbox.logic.inbox_messages import PermanentMessageError
from inbox_outbox.settings import RetryBackoff

# base x 2**16 for any sane base already exceeds SQS's 12-hour cap; bounding the exponent keeps the
# arithmetic small whatever ApproximateReceiveCount says.
_MAX_EXPONENT = 16


def is_permanent(error: BaseException) -> bool:
    """True when retrying cannot help: the record failed validation or was rejected by a rule."""
    return isinstance(error, ValidationError | PermanentMessageError)


def retry_delay_s(receive_count: int, backoff: RetryBackoff) -> int:
    """base, 2 x base, 4 x base, ... by receive count (1 on the first receive), capped."""
    exponent = min(max(receive_count, 1) - 1, _MAX_EXPONENT)
    return min(backoff.base_s << exponent, backoff.max_s)


def visibility_timeout_after_failure(
    error: BaseException, receive_count: int, backoff: RetryBackoff
) -> int:
    """Visibility timeout (seconds) to give a message whose processing raised `error`."""
    if is_permanent(error):
        return 0
    return retry_delay_s(receive_count, backoff)
