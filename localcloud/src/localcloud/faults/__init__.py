"""Fault injection: AWS API calls that fail, throttle, drop items or hang, on purpose.

The moto server's WSGI stack runs every request through ``FaultMiddleware``. A ``FaultRule``
names a service and operation (``dynamodb``/``BatchWriteItem``, ``sqs``/``SendMessage``) and what
to do with a share of the matching requests:

- ``unprocessed``: DynamoDB ``BatchWriteItem`` forwards only part of the items to moto and answers
  the rest in ``UnprocessedItems`` (all of them when none is left to forward); SQS
  ``SendMessageBatch`` likewise answers part of the entries in ``Failed``. When ``match`` occurs in
  some items/entries, exactly those are held back (a poison key); otherwise a random
  ``fraction`` (at least one);
- ``throttle``: HTTP 400 ``ProvisionedThroughputExceededException`` (DynamoDB; ``code`` may say
  ``ThrottlingException``) or ``RequestThrottled`` (SQS), shaped as the service sends it;
- ``error``: HTTP 500 ``InternalServerError`` (DynamoDB) / ``InternalFailure`` (others), or any
  ``status``/``code``/``message`` the rule gives;
- ``delay``: sleep ``seconds``, then forward (a slow dependency; longer than a function's timeout,
  it makes the invoke time out).

Errors are written in the protocol of the request: JSON (``X-Amz-Target``; boto3 talks JSON to
DynamoDB and, since 2023, to SQS, with the ``x-amzn-query-error`` header SQS adds for
query-compatible clients) or query (``Action=...`` form or query string, XML answer; the API
front's SQS integration uses it).

Which requests: by default only those a *function* makes (``source="functions"``): the worker's
boto3 puts ``exec-env/AWS_Lambda_python3.x`` (from ``AWS_EXECUTION_ENV``) in its User-Agent, and
nothing else does - not the event source pollers, the API front or a test's own client. So a
scenario's reads never fail. ``source="api"`` targets the API front's integration calls instead
(they carry ``User-Agent: AmazonAPIGateway_{api id}``, as API Gateway's do): a throttled, failing
or missing queue behind ``POST /inbox``. ``source="any"`` targets every caller. ``match`` narrows
a rule to requests whose body contains a substring (a queue URL, a key); ``max_hits`` bounds how
often it fires.

Randomness comes from one ``random.Random(seed)`` per registry: a given seed gives the same
sequence of decisions (which request gets which decision still depends on thread scheduling).

Rules are set at start (``CloudOptions.faults``, CLI ``--fault``) and at runtime on the server:
``GET /_localcloud/faults`` lists them with hit counters, ``POST`` adds (one rule, a list, or
``{"rules": [...], "seed": N}``), ``DELETE`` clears (``?id=N``: one rule).

The modules: ``rules`` (a rule and the call it matches), ``registry``, ``errors`` (error
documents per protocol), ``partial`` (partial batch answers), ``middleware``, ``control``.
"""

from localcloud.faults.control import CONTROL_PATH
from localcloud.faults.errors import error_response
from localcloud.faults.middleware import FaultMiddleware
from localcloud.faults.registry import FaultRegistry
from localcloud.faults.rules import AwsCall, FaultRule, FaultRuleError

__all__ = [
    "CONTROL_PATH",
    "AwsCall",
    "FaultMiddleware",
    "FaultRegistry",
    "FaultRule",
    "FaultRuleError",
    "error_response",
]
