"""WSGI entry point for other servers: `gunicorn pirights.wsgi:app`."""

from pirights import create_app

app = create_app()
