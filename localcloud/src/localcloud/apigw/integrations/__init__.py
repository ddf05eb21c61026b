"""Integrations behind a method: ``aws_proxy`` (a Lambda function through the ``Invoker``) and
``aws`` (an AWS service call, SQS on the moto server, with mapping templates).

``base`` holds what every integration receives; one module per integration type or service.
"""
