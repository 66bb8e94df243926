"""The explanation of a due date (SPEC §13): the same count as the engine's, step by step."""

from datetime import date, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from pirights.deadlines import (
    ExtensionError,
    end_of_day,
    explain,
    extend,
    initial_deadline,
    parse_policies,
    shift_for_pause,
)
from tests.deadlines.shipped import CALENDARS, CN, EU, US

# A short working-day rule and a calendar-day one on China's calendar widen what is tried.
EXTRA = parse_policies(
    {
        "policies": {
            "CN": {"timezone": "Asia/Shanghai", "calendar": "CN", "respond": "3wd"},
            "X": {"timezone": "Asia/Shanghai", "calendar": "CN", "respond": "10d"},
        }
    }
)
POLICY_LIST = [CN, EU, US, EXTRA.get("CN", "access"), EXTRA.get("X", "access")]


def at(text):
    """An aware datetime from ISO text."""
    return datetime.fromisoformat(text)


def test_spec_example_names_national_day_and_the_working_saturday():
    """Received 30 Sep 2026, 15 working days: 1-7 Oct off, Saturday 10 Oct worked."""
    e = explain(at("2026-09-30T10:00:00+08:00"), CN, CALENDARS["CN"], language="en_US")
    assert e.due_at.isoformat() == "2026-10-27T23:59:59+08:00"
    assert e.rule == "CN:15wd" and e.received_day == date(2026, 9, 30)
    assert e.working_days == 15 and e.period.from_day == date(2026, 9, 30)
    assert [d.day.day for d in e.holidays] == [1, 2, 3, 5, 6, 7]
    assert e.holidays[0].name == "National Day"
    assert [d.day for d in e.working_weekends] == [date(2026, 10, 10)]
    # Sunday 4 Oct has no holiday name: an ordinary weekend day inside the holiday.
    assert date(2026, 10, 4) in [d.day for d in e.period.weekends]
    assert not e.provisional and e.moves == ()


def test_names_follow_the_language():
    """Holiday names in Chinese for Chinese pages."""
    e = explain(at("2026-09-30T10:00:00+08:00"), CN, CALENDARS["CN"], language="zh_CN")
    assert e.holidays[0].name == "国庆节"


def test_calendar_days_roll_over_to_the_next_working_day():
    """EU 1 month from 31 Jan 2026 ends 28 Feb (a Saturday), rolled to Monday 2 Mar."""
    e = explain(at("2026-01-31T12:00:00+01:00"), EU, CALENDARS[EU.calendar])
    assert e.due_at.isoformat() == "2026-03-02T23:59:59+01:00"
    assert e.period.nominal_last_day == date(2026, 2, 28)
    assert [d.kind for d in e.period.days] == ["weekend", "weekend", "working"]
    assert e.working_days == 0


def test_pauses_and_extensions_are_stretches_of_their_own():
    """Each move starts where the last one ended and counts in the policy's unit."""
    e = explain(
        at("2026-09-30T10:00:00+08:00"),
        CN,
        CALENDARS["CN"],
        [("pause", 3), ("extension", 5)],
    )
    assert [(s.kind, s.amount, s.working_days) for s in e.stretches] == [
        ("period", 15, 15),
        ("pause", 3, 3),
        ("extension", 5, 5),
    ]
    assert e.moves[0].from_day == date(2026, 10, 27) == e.period.to_day
    assert e.due_at.date() == e.stretches[-1].to_day == date(2026, 11, 6)


moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 11, 30)).map(
    lambda d: d.replace(tzinfo=timezone(timedelta(hours=8)))
)
events = st.lists(
    st.tuples(
        st.sampled_from(["pause", "extension"]),
        st.integers(min_value=0, max_value=40),  # pause: days after the due date's last move
        st.integers(min_value=0, max_value=20),  # pause length in calendar days; ext: days
    ),
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(received=moments, policy=st.sampled_from(POLICY_LIST), history=events)
def test_the_explained_due_date_is_the_computed_one(received, policy, history):
    """Live the request's history with the engine's functions (initial deadline, pauses,
    extensions), then explain it from the steps recorded: the same due date, every time,
    and the trace adds up to it."""
    cal = CALENDARS[policy.calendar]
    first = initial_deadline(received, policy, cal)
    due, provisional = first.due_at, first.provisional
    steps: list[tuple[str, int]] = []
    ext_count = ext_days = 0
    cursor = received
    for kind, offset, length in history:
        if kind == "pause":
            paused_at = cursor + timedelta(days=offset)
            resumed_at = paused_at + timedelta(days=length)
            due, days = shift_for_pause(due, paused_at, resumed_at, policy, cal)
            cursor = resumed_at
            if days:
                steps.append(("pause", days))
        else:
            try:
                due = extend(received, due, max(length, 1), ext_count, ext_days, policy, cal)
            except ExtensionError:
                continue
            ext_count, ext_days = ext_count + 1, ext_days + max(length, 1)
            steps.append(("extension", max(length, 1)))
    e = explain(received, policy, cal, steps)
    assert e.due_at == due
    assert e.rule == first.rule and e.calendar_data == first.calendar_data
    assert e.provisional >= provisional  # moves may only add provisional days
    assert e.due_at == end_of_day(e.stretches[-1].to_day, policy.tz)
    for before, after in zip(e.stretches, e.stretches[1:], strict=False):
        assert after.from_day == before.to_day
    for s in e.stretches:
        days = [d.day for d in s.days]
        assert days == sorted(set(days))
        for d in s.days:
            assert d.working == cal.is_working_day(d.day)
            assert (d.kind == "working_weekend") == (d.working and d.day.weekday() >= 5)
        if s.unit == "working_days":
            assert s.working_days == s.amount
            assert days == [s.from_day + timedelta(days=i + 1) for i in range(len(days))]
        elif s.days:
            assert all(not d.working for d in s.days[:-1])
            if s.unit == "calendar_days":
                assert s.nominal_last_day == s.from_day + timedelta(days=s.amount)
        if s.days:
            assert s.days[-1].working and s.to_day == days[-1]
