"""Uninitialised singletons, bound to an app by create_app."""

from __future__ import annotations

from apispec import BasePlugin
from flask_smorest import Api
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


def _is_problem(schema) -> bool:
    """Whether a documented schema is ProblemSchema, as a class, instance or reference."""
    if isinstance(schema, dict):
        schema = schema.get("$ref")
    if isinstance(schema, str):
        return schema.rsplit("/", 1)[-1] == "Problem"
    return schema is ProblemSchema or isinstance(schema, ProblemSchema)


class ProblemResponses(BasePlugin):
    """An apispec plugin documenting error responses as application/problem+json.

    flask-smorest registers its error responses (422, DEFAULT_ERROR, ...) with
    `ERROR_SCHEMA` under application/json; apispec's public response hook renames the media
    type to the one errors.py really sends, so no private flask-smorest method is overridden.
    """

    def response_helper(self, response: dict, **kwargs) -> dict | None:
        """Move an error body from application/json to application/problem+json."""
        body = (response.get("content") or {}).get("application/json")
        if body is None or not _is_problem(body.get("schema")):
            return None
        return {"content": {PROBLEM: body}}


class ProblemApi(Api):
    """flask-smorest's Api, answering and documenting errors as application/problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def init_app(self, app, *, spec_kwargs=None):
        """flask-smorest's init_app with the ProblemResponses plugin added to the spec."""
        spec_kwargs = dict(spec_kwargs or {})
        spec_kwargs["extra_plugins"] = [*spec_kwargs.get("extra_plugins", ()), ProblemResponses()]
        super().init_app(app, spec_kwargs=spec_kwargs)

    def handle_http_exception(self, error):
        """All HTTP errors share the one problem+json mapping of errors.py."""
        return handle_http_exception(error)


db = Database()
api = ProblemApi()
