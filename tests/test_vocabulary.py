"""Vocabularies defined once: audit actions, roles, request types."""

from __future__ import annotations

import ast
from pathlib import Path

import pirights
from pirights.audit import actions

ROOT = Path(pirights.__file__).parent


def _calls(name: str):
    """(path:line, call) for every call of a function named `name` in the package."""
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if called == name:
                    yield f"{path.relative_to(ROOT)}:{node.lineno}", node


def test_every_recorded_action_is_named_in_audit_actions():
    literal = [
        where
        for where, call in _calls("record")
        for k in call.keywords
        if k.arg == "action" and isinstance(k.value, ast.Constant)
    ]
    assert literal == []


def test_action_names_are_distinct_and_dotted():
    names = [v for k, v in vars(actions).items() if k.isupper() and isinstance(v, str)]
    assert len(names) == len(set(names)) == len(actions.ALL)
    assert all(n.count(".") == 1 and n == n.lower() for n in names)


def test_a_whole_lifecycle_records_only_known_actions(client, auth, submit):
    from pirights.audit.models import AuditEvent
    from pirights.extensions import db

    sup = auth("supervisor")
    answer = submit(type="block")
    ref = answer["reference"]
    base = f"/api/v1/requests/{ref}"
    steps = [
        ("transitions", {"action": "verify_identity", "method": "account_login"}),
        ("transitions", {"action": "accept"}),
        ("notes", {"body": "n"}),
        ("messages", {"body": "m"}),
        ("extensions", {"days": 2, "reason": "r"}),
        ("transitions", {"action": "complete", "resolution": "done", "blocklist_terms": ["x"]}),
    ]
    for path, body in steps:
        assert client.post(f"{base}/{path}", json=body, headers=sup).status_code < 300
    client.get(base, headers=sup)
    client.get(base)  # refused: auth.denied
    with client.application.app_context():
        recorded = set(db.session.scalars(db.session.query(AuditEvent.action).statement))
    assert recorded <= actions.ALL
    assert {actions.REQUEST_CREATED, actions.BLOCKLIST_ADDED, actions.AUTH_DENIED} <= recorded


def test_roles_come_from_staff_roles():
    from pirights.requests import lifecycle
    from pirights.staff import roles

    assert frozenset(roles.WRITERS) == lifecycle.STAFF_WRITERS
    assert lifecycle.ACTIONS["reopen"].roles == frozenset(roles.SUPERVISORS)
    assert set(roles.ALL_STAFF) | {roles.SERVICE} == set(roles.ROLES)
    role_literals = {
        where
        for where, call in _calls("requires")
        for arg in call.args
        if isinstance(arg, ast.Constant)
    }
    assert role_literals == set()


def test_the_forms_name_every_type_and_status_of_the_lifecycle():
    from pirights.intake_form import texts
    from pirights.requests import lifecycle

    assert set(texts.TYPE_TEXTS) == set(lifecycle.TYPES)
    assert set(texts.STATUS_TEXTS) == set(lifecycle.STATUSES)
