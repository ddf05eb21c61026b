"""CloudFormation deploys through the local cloud's own pipeline: what ``sam deploy`` and
``sam sync`` send (change sets, ``CreateStack``, ``UpdateStack``, ``DeleteStack``) deploys the
whole template as ``localcloud up`` does, into the running cloud.

``requests.StackRequests`` (WSGI, in front of moto) hands those operations to
``service.StackDeployments``; ``change_sets`` keeps the change sets, ``templates`` reads what a
request deploys, ``protocol`` speaks CloudFormation's query protocol.
"""
