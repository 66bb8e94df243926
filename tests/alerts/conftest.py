"""The alert tests drive requests through the API with the deadline tests' fixtures."""

from tests.deadlines.conftest import act, intake, staff_headers, start

__all__ = ["act", "intake", "staff_headers", "start"]
