"""No input to the queue or the request page, however malformed, gets a 500 (brief: quality)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pirights.console.request_views import FORM_FIELDS
from tests.console.conftest import csrf_token

QUERY_NAMES = [
    "status",
    "open",
    "type",
    "overdue",
    "due_soon",
    "measure_overdue",
    "remediation_open",
    "remediation_overdue",
    "assignee",
    "email",
    "phone",
    "limit",
    "cursor",
    "mine",
    "lang",
]
FIELD_NAMES = sorted({f for fields in FORM_FIELDS.values() for f in fields} | {"version"})
text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["", "true", "false", "0", "-1", "99999999999999999999", "received", "x" * 300]
    ),
)
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def sup(console_client):
    """One signed-in supervisor for every example of a test."""
    return console_client("supervisor")


@pytest.fixture
def ref(submit) -> str:
    """One request for every example of a test."""
    return submit()["reference"]


@SETTINGS
@given(query=st.dictionaries(st.sampled_from(QUERY_NAMES), text, max_size=6))
def test_any_queue_query_is_answered(sup, query):
    resp = sup.get("/console/?" + urlencode(query))
    assert resp.status_code in (200, 400, 403, 422), (query, resp.status_code)


@SETTINGS
@given(
    action=st.one_of(st.sampled_from(sorted(FORM_FIELDS)), text),
    form=st.dictionaries(st.sampled_from(FIELD_NAMES), text, max_size=5),
)
def test_any_action_form_is_answered(sup, ref, action, form):
    data = {**form, "action": action, "csrf_token": csrf_token(sup)}
    resp = sup.post(f"/console/requests/{ref}", data=data)
    assert resp.status_code in (303, 400, 403, 404, 409, 412, 422), (data, resp.status_code)
