"""The EventBridge Schemas API's registries and schemas, as far as SAM CLI's shareable test
events use them (``sam remote test-event``, ``sam remote invoke --test-event-name``): moto has
no Schemas service. ``registry`` holds the data and its rules, ``discovery`` answers
``GetDiscoveredSchema``, ``api`` serves them on the moto port in the service's REST-JSON protocol.
"""
