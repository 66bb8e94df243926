"""Uninitialised singletons, bound to an app by create_app."""

from __future__ import annotations

from flask_smorest import Api

from pirights.database import Database
from pirights.errors import handle_http_exception


class ProblemApi(Api):
    """flask-smorest's Api, answering errors as application/problem+json."""

    def handle_http_exception(self, error):
        """All HTTP errors share the one problem+json mapping of errors.py."""
        return handle_http_exception(error)


db = Database()
api = ProblemApi()
