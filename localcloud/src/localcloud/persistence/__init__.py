"""``up --persist``: the cloud's state (moto's data, the deployed stack, the event source
mappings as the Lambda API left them, the stream pollers' checkpoints) saved in a file and
restored by the next ``up --persist``.

``saved_state`` is the file (format, checks, atomic write); ``fingerprint`` says whether a saved
cloud was deployed from the template and settings at hand; ``keeper`` restores one into a
starting cloud and saves the running one, periodically and on stop.
"""
