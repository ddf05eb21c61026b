"""A Docker-free local cloud: deploys template.yaml onto an embedded moto server and runs the
real handlers, with event source mappings (Kinesis, DynamoDB Streams, SQS) and an API Gateway
front of our own.

Packages, one job each:
- ``deploy``: samtranslator -> moto CloudFormation, and the specs the rest runs from.
- ``functions``: long-lived worker subprocesses that run the real handlers.
- ``esm``: pollers that feed the functions, faithful to Lambda's event source mappings.
- ``apigw``: the HTTP front for the deployed REST APIs (proxy events, VTL, SigV4, validation).
"""
