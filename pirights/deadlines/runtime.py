"""The app's deadline book: configured policies and calendars, and the few questions
services ask of them. Pure arithmetic lives in counting.py; this only wires it up."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from pirights.deadlines.calendars import WorkingCalendar
from pirights.deadlines.counting import (
    Deadline,
    extend,
    initial_deadline,
    local_date,
    period_end,
    provisional_between,
    replay,
    shift_for_pause,
    working_days_between,
)
from pirights.deadlines.explain import Explanation, explain
from pirights.deadlines.policy import Period, Policies, Policy, parse_policies


@dataclass(frozen=True)
class DeadlineBook:
    """Policies and calendars in force, and the due-soon threshold."""

    policies: Policies
    calendars: dict[str, WorkingCalendar]
    due_soon_working_days: int
    # (jurisdiction, local date) -> limit; the list asks once per item with the same `now`.
    _limits: dict[tuple[str, date], datetime] = field(
        default_factory=dict, repr=False, compare=False
    )
    # (jurisdiction, type, local date) -> deadline; every submission of a day asks the same.
    _initial: dict[tuple[str, str, date], Deadline] = field(
        default_factory=dict, repr=False, compare=False
    )

    def policy(self, jurisdiction: str, request_type: str) -> Policy:
        """The policy for one request."""
        return self.policies.get(jurisdiction, request_type)

    def calendar(self, policy: Policy) -> WorkingCalendar:
        """The working-day calendar a policy counts on."""
        return self.calendars[policy.calendar]

    def initial(self, received_at: datetime, jurisdiction: str, request_type: str) -> Deadline:
        """The response deadline of a new request (§3.3–3.4)."""
        policy = self.policy(jurisdiction, request_type)
        # The deadline depends only on the local day of receipt (counting.period_end).
        key = (jurisdiction, request_type, local_date(received_at, policy.tz))
        return _remembered(
            self._initial, key, lambda: initial_deadline(received_at, policy, self.calendar(policy))
        )

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

    def extended(
        self,
        received_at: datetime,
        due_at: datetime,
        days: int,
        earlier: list[int],
        jurisdiction: str,
        request_type: str,
    ) -> datetime:
        """The due date after an extension of `days` (§3.5); ExtensionError beyond policy.

        `earlier` lists the days of the extensions already granted.
        """
        policy = self.policy(jurisdiction, request_type)
        return extend(
            received_at, due_at, days, len(earlier), sum(earlier), policy, self.calendar(policy)
        )

    def provisional_after_move(
        self, old_due_at: datetime, new_due_at: datetime, jurisdiction: str, request_type: str
    ) -> bool:
        """Whether any day a due date moved across may change when a schedule arrives."""
        policy = self.policy(jurisdiction, request_type)
        tz = policy.tz
        return provisional_between(
            local_date(old_due_at, tz), local_date(new_due_at, tz), self.calendar(policy)
        )

    def recomputed(
        self,
        received_at: datetime,
        jurisdiction: str,
        request_type: str,
        steps: list[tuple[str, int]],
    ) -> Deadline:
        """The due date recounted from receipt with today's policies and calendars.

        `steps` replays what moved it, in order: ("pause", paused days) and ("extension",
        days). Both move the due date in the policy's unit (§3.5), so the replay matches the
        incremental computation whenever the calendar data has not changed.
        """
        policy = self.policy(jurisdiction, request_type)
        return replay(received_at, policy, self.calendar(policy), steps)

    def explained(
        self,
        received_at: datetime,
        jurisdiction: str,
        request_type: str,
        steps: list[tuple[str, int]],
        language: str = "en_US",
    ) -> Explanation:
        """How `recomputed` counts this due date: rule, days counted, holidays, 调休 (§13)."""
        policy = self.policy(jurisdiction, request_type)
        return explain(received_at, policy, self.calendar(policy), steps, language)

    def working_days(self, start: datetime, end: datetime, jurisdiction: str) -> int:
        """Working days d with start's local day < d <= end's local day (SLA report)."""
        policy = self.policies.get(jurisdiction, "access")
        tz = policy.tz
        return working_days_between(
            local_date(start, tz), local_date(end, tz), self.calendar(policy)
        )

    def due_soon_limit(self, now: datetime, jurisdiction: str) -> datetime:
        """Latest due_at that counts as due soon at `now` in a jurisdiction."""
        policy = self.policies.get(jurisdiction, "access")
        tz = ZoneInfo(policy.timezone)
        # The limit depends only on the local day of `now` (periods count whole days).
        key = (jurisdiction, now.astimezone(tz).date())

        def limit() -> datetime:
            period = Period(max(self.due_soon_working_days, 0), "working_days")
            return period_end(now, period, tz, self.calendar(policy))[0]

        return _remembered(self._limits, key, limit)

    def timezone(self, jurisdiction: str) -> ZoneInfo:
        """Local time zone of a jurisdiction, for showing dates."""
        return ZoneInfo(self.policies.get(jurisdiction, "access").timezone)


def _remembered(memory: dict, key: Any, compute: Callable[[], Any]) -> Any:
    """`compute()`, remembered under `key`; the memory starts over past 256 entries (its
    keys are days, so it only ever holds the days in use)."""
    found = memory.get(key)
    if found is None:
        if len(memory) > 256:
            memory.clear()
        found = memory[key] = compute()
    return found


def init_app(
    app: Flask, policies_data, due_soon_working_days: int, request_types: Collection[str]
) -> None:
    """Parse policies (a bad one stops start-up) and attach the book to the app."""
    policies = parse_policies(policies_data, request_types)
    app.extensions["pirights_deadlines"] = DeadlineBook(
        policies=policies,
        calendars=policies.build_calendars(),
        due_soon_working_days=due_soon_working_days,
    )


def book() -> DeadlineBook:
    """The current app's deadline book."""
    return current_app.extensions["pirights_deadlines"]
