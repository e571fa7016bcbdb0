"""Fixtures of the validation catalogue; the tiny review itself is in tiny_review.py."""
from tiny_review import tiny  # noqa: F401 - re-exported as a fixture
