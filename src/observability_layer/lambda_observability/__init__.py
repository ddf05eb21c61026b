"""What every function shares, shipped once as the stack's ObservabilityLayer: Powertools set up
once (``powertools``, ``log_redaction``) and settings from the environment (``env_settings``)."""
