"""The app's deadline book: configured policies and calendars, and the few questions
services ask of them. Pure arithmetic lives in counting.py; this only wires it up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from pirights.deadlines.calendars import WorkingCalendar
from pirights.deadlines.counting import Deadline, initial_deadline, period_end, shift_for_pause
from pirights.deadlines.policy import Period, Policies, Policy, parse_policies


@dataclass(frozen=True)
class DeadlineBook:
    """Policies and calendars in force, and the due-soon threshold."""

    policies: Policies
    calendars: dict[str, WorkingCalendar]
    due_soon_working_days: int

    def policy(self, jurisdiction: str, request_type: str) -> Policy:
        """The policy for one request."""
        return self.policies.get(jurisdiction, request_type)

    def calendar(self, policy: Policy) -> WorkingCalendar:
        """The working-day calendar a policy counts on."""
        return self.calendars[policy.calendar]

    def initial(self, received_at: datetime, jurisdiction: str, request_type: str) -> Deadline:
        """The response deadline of a new request (§3.3–3.4)."""
        policy = self.policy(jurisdiction, request_type)
        return initial_deadline(received_at, policy, self.calendar(policy))

    def after_pause(
        self,
        due_at: datetime,
        paused_at: datetime,
        resumed_at: datetime,
        jurisdiction: str,
        request_type: str,
    ) -> tuple[datetime, int]:
        """The due date moved by the days spent awaiting the requester (§3.5)."""
        policy = self.policy(jurisdiction, request_type)
        return shift_for_pause(due_at, paused_at, resumed_at, policy, self.calendar(policy))

    def due_soon_limit(self, now: datetime, jurisdiction: str) -> datetime:
        """Latest due_at that counts as due soon at `now` in a jurisdiction."""
        policy = self.policies.get(jurisdiction, "access")
        period = Period(max(self.due_soon_working_days, 0), "working_days")
        end, _ = period_end(now, period, ZoneInfo(policy.timezone), self.calendar(policy))
        return end

    def timezone(self, jurisdiction: str) -> ZoneInfo:
        """Local time zone of a jurisdiction, for showing dates."""
        return ZoneInfo(self.policies.get(jurisdiction, "access").timezone)


def init_app(app: Flask, policies_data, due_soon_working_days: int) -> None:
    """Parse policies (a bad one stops start-up) and attach the book to the app."""
    policies = parse_policies(policies_data)
    app.extensions["pirights_deadlines"] = DeadlineBook(
        policies=policies,
        calendars=policies.build_calendars(),
        due_soon_working_days=due_soon_working_days,
    )


def book() -> DeadlineBook:
    """The current app's deadline book."""
    return current_app.extensions["pirights_deadlines"]
