"""The guard talks HTTP to a live server: the form tests' threaded one."""

from tests.form.conftest import live_server  # noqa: F401  (a fixture, used by name)
