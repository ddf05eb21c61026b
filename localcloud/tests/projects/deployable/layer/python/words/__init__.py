"""The layer's word (the tests rewrite it)."""

WORD = "one"
