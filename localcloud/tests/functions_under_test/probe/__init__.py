"""Test doubles of *functions* (not of AWS): small handlers whose behaviour the tests choose."""
