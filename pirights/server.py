"""Production serving with gunicorn (SPEC §2 `pirights serve`)."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    """Gunicorn with options from the command line; each worker builds its own app."""

    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        """Hand our options to gunicorn's settings."""
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        """Create the app in the worker (no state is shared between workers)."""
        from pirights import create_app

        return create_app()


def run(host: str, port: int, workers: int) -> None:
    """Serve until stopped."""
    _Gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": 4,
            "accesslog": None,
            "timeout": 60,
        }
    ).run()
