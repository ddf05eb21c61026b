"""The deployable project's one function."""
