"""Measures and remediation of complaints; hooks the request lifecycle calls (§9)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from pirights import clock
from pirights.audit import actions
from pirights.audit.recorder import record
from pirights.complaints.models import ComplaintTrack, Measure, Remediation
from pirights.complaints.policy import measure_due, remediation_due
from pirights.deadlines.policy import Period
from pirights.deadlines.runtime import book
from pirights.errors import Conflict
from pirights.extensions import db
from pirights.requests import lifecycle as lc
from pirights.requests.models import Request
from pirights.requests.present import MASKED
from pirights.requests.queries import load
from pirights.requests.service import check_version
from pirights.staff.models import Staff

MEASURE_KINDS = ("filter", "stop_generation", "takedown", "block_subject")


def _settings():
    """The complaint policy in force."""
    return current_app.config["PIRIGHTS"]


def open_track(s: Session, req: Request) -> None:
    """Start the §9 clock of a new complaint (hook on_created: intake's unit of work)."""
    if lc.is_complaint(req.type):
        s.add(
            ComplaintTrack(
                request_id=req.id,
                measure_due_at=measure_due(req.received_at, _settings().complaint_measure_hours),
            )
        )


def _track(s: Session, req: Request) -> ComplaintTrack:
    """The complaint's track, or 409 for a request that is not a complaint."""
    track = s.get(ComplaintTrack, req.id) if lc.is_complaint(req.type) else None
    if track is None:
        raise Conflict(
            f"{req.reference} is a {req.type} request; measures and remediation "
            "apply to complaints about generated content.",
            slug="not-a-complaint",
        )
    return track


def before_transition(s: Session, req: Request, action: str) -> None:
    """A complaint is upheld only after something was done to stop the content (hook)."""
    if (
        action == "complete"
        and lc.is_complaint(req.type)
        and _track(s, req).first_measure_at is None
    ):
        raise Conflict(
            "Record at least one measure (POST .../measures) before "
            "completing a complaint: the content must be stopped first.",
            slug="measure-required",
        )


def after_transition(
    s: Session,
    req: Request,
    action: str,
    fields: dict[str, Any],
    staff: Staff,
    now: datetime,
) -> dict[str, Any]:
    """Open (or, on reopening, close) the remediation deadline; returns audit data (hook)."""
    if not lc.is_complaint(req.type):
        return {}
    track = _track(s, req)
    if action == "complete":
        policy = book().policy(req.jurisdiction, req.type)
        period = Period.parse(_settings().complaint_remediation)
        track.remediation_due_at = remediation_due(now, period, policy.tz, book().calendar(policy))
        return {"remediation_due_at": track.remediation_due_at.isoformat()}
    if action == "reopen" and track.remediated_at is None:
        track.remediation_due_at = None
    return {}


def record_measure(
    reference: str, kind: str, detail: str, staff: Staff, if_match: int | None = None
) -> Request:
    """Record what was done to stop the content."""
    now = clock.now()
    with db.unit_of_work() as s:
        req = load(s, reference, for_update=True)
        check_version(req, if_match)
        track = _track(s, req)
        if req.status in (lc.REFUSED, lc.WITHDRAWN):
            raise Conflict(
                f"The complaint is {req.status}; reopen it first.", slug="request-closed"
            )
        measure = Measure(
            request_id=req.id, kind=kind, detail=detail, staff_id=staff.id, created_at=now
        )
        s.add(measure)
        first = track.first_measure_at is None
        if first:
            track.first_measure_at = now
        req.updated_at = now
        s.flush()
        # The request is shown right after; let it read the measures including this one.
        s.expire(req, ["complaint_measures"])
        record(
            s,
            actor=staff.actor,
            action=actions.COMPLAINT_MEASURE_RECORDED,
            request_ref=req.reference,
            data={
                "measure_id": measure.id,
                "kind": kind,
                "first": first,
                "on_time": now <= track.measure_due_at if first else None,
            },
        )
    return req


def record_remediation(
    reference: str, detail: str, model_version: str, staff: Staff, if_match: int | None = None
) -> Request:
    """Record the model-optimisation work that prevents regeneration."""
    now = clock.now()
    with db.unit_of_work() as s:
        req = load(s, reference, for_update=True)
        check_version(req, if_match)
        track = _track(s, req)
        if req.status != lc.COMPLETED or track.remediation_due_at is None:
            raise Conflict(
                "Remediation follows an upheld complaint; complete it first.",
                slug="not-upheld",
            )
        if track.remediated_at is not None:
            raise Conflict(
                "Remediation of this complaint is already recorded.", slug="already-remediated"
            )
        s.add(
            Remediation(
                request_id=req.id,
                detail=detail,
                model_version=model_version,
                staff_id=staff.id,
                created_at=now,
            )
        )
        track.remediated_at = now
        req.updated_at = now
        record(
            s,
            actor=staff.actor,
            action=actions.COMPLAINT_REMEDIATED,
            request_ref=req.reference,
            data={"model_version": model_version, "on_time": now <= track.remediation_due_at},
        )
    return req


def present(req: Request, now: datetime, masked: bool) -> dict[str, Any]:
    """The complaint fields of the staff representation, empty for other types (hook).

    Auditors (`masked`) see each measure's kind and time, not its detail: staff write
    there what was stopped, which often names the person. Reads the track and measures
    through the request's relationships, which the staff list eager-loads, so listing
    complaints runs no query per row.
    """
    if not lc.is_complaint(req.type):
        return {}
    track = req.complaint_track  # type: ignore[attr-defined]
    if track is None:
        return {}
    local = book().timezone(req.jurisdiction)

    def iso(moment):
        return moment.astimezone(local).isoformat() if moment else None

    return {
        "measure_due_at": iso(track.measure_due_at),
        "measure_overdue": track.first_measure_at is None
        and now > track.measure_due_at
        and req.status not in (lc.REFUSED, lc.WITHDRAWN),
        "measures": [
            {
                "id": m.id,
                "kind": m.kind,
                "detail": MASKED if masked else m.detail,
                "at": iso(m.created_at),
            }
            for m in req.complaint_measures  # type: ignore[attr-defined]
        ],
        "remediation_due_at": iso(track.remediation_due_at),
        "remediated_at": iso(track.remediated_at),
        "remediation_overdue": track.remediation_due_at is not None
        and track.remediated_at is None
        and now > track.remediation_due_at,
    }
