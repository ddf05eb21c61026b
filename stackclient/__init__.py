"""Client-side tools for a deployed stack, on AWS or the local cloud alike.

Everything is resolved from the CloudFormation outputs of ``AWS_SAM_STACK_NAME``; boto3 honours
``AWS_ENDPOINT_URL``. Used by the integration suites, the demo/load tool and the benchmarks.
"""
