"""Uninitialised singletons, bound to an app by create_app."""

from __future__ import annotations

import http

from flask_smorest import Api
from flask_smorest.utils import prepare_response
from marshmallow import Schema, fields

from pirights.database import Database
from pirights.errors import PROBLEM, handle_http_exception


class ProblemSchema(Schema):
    """RFC 9457 problem details, as every error is answered (SPEC §8.4)."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(metadata={"description": "field -> messages (422 only)"})


class ProblemApi(Api):
    """flask-smorest's Api, answering errors as application/problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self):
        """Document error responses as the problem+json the app really sends."""
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def handle_http_exception(self, error):
        """All HTTP errors share the one problem+json mapping of errors.py."""
        return handle_http_exception(error)


db = Database()
api = ProblemApi()
