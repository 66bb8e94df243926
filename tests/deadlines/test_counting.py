"""Counting deadlines (SPEC §3.4), pauses and extensions (SPEC §3.5)."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pirights.deadlines import (
    ExtensionError,
    Period,
    build_calendars,
    extend,
    initial_deadline,
    period_end,
    provisional_between,
    shift_for_pause,
    working_days_between,
)
from tests.deadlines.shipped import CALENDARS, CN, EU, POLICIES, US


def cal(policy):
    """The calendar a policy counts on."""
    return CALENDARS[policy.calendar]


def at(text):
    """An aware datetime from ISO text."""
    return datetime.fromisoformat(text)


def due(policy, received):
    """The initial due date, as ISO text, for a receipt given as ISO text."""
    return initial_deadline(at(received), policy, cal(policy)).due_at.isoformat()


# --- SPEC §3.4 examples -----------------------------------------------------------------


def test_cn_15_working_days_over_national_day():
    deadline = initial_deadline(at("2026-09-30T10:00:00+08:00"), CN, cal(CN))
    assert deadline.due_at.isoformat() == "2026-10-27T23:59:59+08:00"
    assert deadline.provisional is False
    assert deadline.rule == "CN:15wd"
    assert deadline.calendar_data.startswith("holidays ")


def test_eu_one_month_clamped_then_rolled_to_monday():
    assert due(EU, "2026-01-31T12:00:00+01:00") == "2026-03-02T23:59:59+01:00"


def test_us_ca_45_calendar_days():
    assert due(US, "2026-09-05T09:00:00-07:00") == "2026-10-20T23:59:59-07:00"


def test_receipt_day_is_taken_in_the_policy_time_zone():
    # 2026-03-02T17:30Z is already 3 March in Shanghai.
    late = initial_deadline(at("2026-03-02T17:30:00+00:00"), CN, cal(CN)).due_at
    early = initial_deadline(at("2026-03-02T15:30:00+00:00"), CN, cal(CN)).due_at
    assert early.isoformat() == "2026-03-23T23:59:59+08:00"
    assert late.isoformat() == "2026-03-24T23:59:59+08:00"
    # The SPEC's own example: 17:30Z on 30 Sep is 1 Oct in Shanghai, a holiday.
    assert due(CN, "2026-09-30T17:30:00+00:00") == "2026-10-27T23:59:59+08:00"
    # In Los Angeles the same UTC instant can still be the previous day.
    assert due(US, "2026-09-05T06:30:00+00:00") == "2026-10-19T23:59:59-07:00"


def test_naive_receipt_is_refused():
    with pytest.raises(ValueError, match="no time zone"):
        initial_deadline(datetime(2026, 9, 30, 10), CN, cal(CN))


def test_calendar_day_period_rolls_over_chinese_holiday():
    # 30 days after 2026-01-15 is 14 Feb, a working Saturday; after 2026-01-17 it is 16 Feb,
    # in Spring Festival (16-23 Feb off), so it ends on Tuesday 24 Feb.
    end, _ = period_end(
        at("2026-01-15T09:00:00+08:00"), Period(30, "calendar_days"), CN.tz, cal(CN)
    )
    assert end.date() == date(2026, 2, 14)
    end, _ = period_end(
        at("2026-01-17T09:00:00+08:00"), Period(30, "calendar_days"), CN.tz, cal(CN)
    )
    assert end.date() == date(2026, 2, 24)


def test_month_end_clamping():
    end, _ = period_end(at("2026-03-31T10:00:00+02:00"), Period(1, "months"), EU.tz, cal(EU))
    assert end.date() == date(2026, 4, 30)
    end, _ = period_end(at("2027-11-30T10:00:00+01:00"), Period(3, "months"), EU.tz, cal(EU))
    assert end.date() == date(2028, 2, 29)


def test_provisional_when_counting_into_unscheduled_year():
    later = initial_deadline(at("2031-03-01T10:00:00+08:00"), CN, cal(CN))
    assert later.provisional is True
    # Counting into the last week of December before the next year's schedule is known.
    near_new_year = initial_deadline(at("2026-12-10T10:00:00+08:00"), CN, cal(CN))
    assert near_new_year.provisional is True
    supplied = build_calendars(schedules={"CN": {"2031": {"off": [], "on": []}}})["CN"]
    assert initial_deadline(at("2031-03-01T10:00:00+08:00"), CN, supplied).provisional is False
    assert provisional_between(date(2031, 1, 1), date(2031, 1, 2), cal(CN))
    assert not provisional_between(date(2026, 3, 1), date(2026, 4, 2), cal(CN))


# --- pauses -----------------------------------------------------------------------------


def test_pause_and_resume_same_day_counts_nothing():
    due_at = at("2026-03-20T23:59:59+08:00")
    paused, resumed = at("2026-03-10T09:00:00+08:00"), at("2026-03-10T17:00:00+08:00")
    assert shift_for_pause(due_at, paused, resumed, CN, cal(CN)) == (due_at, 0)


def test_pause_over_a_weekend_counts_working_days_only():
    # Paused Fri 13 Mar, resumed Mon 16 Mar: only Monday counts.
    due_at = at("2026-03-20T23:59:59+08:00")
    new, days = shift_for_pause(
        due_at, at("2026-03-13T11:00:00+08:00"), at("2026-03-16T10:00:00+08:00"), CN, cal(CN)
    )
    assert days == 1
    assert new.isoformat() == "2026-03-23T23:59:59+08:00"


def test_pause_across_national_day():
    # Paused 29 Sep, resumed 9 Oct: 30 Sep and 8, 9 Oct are working days (1-7 Oct off).
    due_at = at("2026-10-20T23:59:59+08:00")
    new, days = shift_for_pause(
        due_at, at("2026-09-29T10:00:00+08:00"), at("2026-10-09T10:00:00+08:00"), CN, cal(CN)
    )
    assert days == 3
    assert new.isoformat() == "2026-10-23T23:59:59+08:00"


def test_pause_under_calendar_day_policy_counts_every_day():
    due_at = at("2026-10-20T23:59:59-07:00")
    new, days = shift_for_pause(
        due_at, at("2026-10-01T10:00:00-07:00"), at("2026-10-05T10:00:00-07:00"), US, cal(US)
    )
    assert days == 4
    # 24 Oct is a Saturday: rolled to Monday 26 Oct.
    assert new.isoformat() == "2026-10-26T23:59:59-07:00"


def test_resume_before_pause_is_refused():
    with pytest.raises(ValueError):
        shift_for_pause(
            at("2026-10-20T23:59:59+08:00"),
            at("2026-10-09T10:00:00+08:00"),
            at("2026-10-08T10:00:00+08:00"),
            CN,
            cal(CN),
        )


# --- extensions -------------------------------------------------------------------------

RECEIVED_CN = at("2026-09-30T10:00:00+08:00")
DUE_CN = at("2026-10-27T23:59:59+08:00")


def test_cn_extension_within_outer_limit():
    # 30 days after 30 Sep is Fri 30 Oct, a working day: at most 3 working days remain.
    assert extend(RECEIVED_CN, DUE_CN, 3, 0, 0, CN, cal(CN)).isoformat() == (
        "2026-10-30T23:59:59+08:00"
    )
    with pytest.raises(ExtensionError, match=r"outer limit .*2026-10-30.*at most 3 working days"):
        extend(RECEIVED_CN, DUE_CN, 4, 0, 0, CN, cal(CN))


def test_cn_outer_limit_rolls_to_next_working_day():
    # Received Sat 2026-01-17: due Fri 6 Feb; the 30th day, 16 Feb, is in Spring Festival
    # (16-23 Feb off), so the outer limit ends Tue 24 Feb. Sat 14 Feb is a working day.
    received = at("2026-01-17T10:00:00+08:00")
    due_at = initial_deadline(received, CN, cal(CN)).due_at
    assert due_at.date() == date(2026, 2, 6)
    assert extend(received, due_at, 6, 0, 0, CN, cal(CN)).date() == date(2026, 2, 14)
    assert extend(received, due_at, 7, 0, 0, CN, cal(CN)).isoformat() == (
        "2026-02-24T23:59:59+08:00"
    )
    with pytest.raises(ExtensionError, match=r"2026-02-25, past the outer limit .*at most 7"):
        extend(received, due_at, 8, 0, 0, CN, cal(CN))


def test_cn_extension_once_and_at_most_15_working_days():
    received = at("2026-03-02T10:00:00+08:00")
    due_at = initial_deadline(received, CN, cal(CN)).due_at
    with pytest.raises(ExtensionError, match="allows 1 extension"):
        extend(received, due_at, 1, 1, 2, CN, cal(CN))
    wide_open = replace(CN, outer_limit=None)
    assert extend(received, due_at, 15, 0, 0, wide_open, cal(CN))
    with pytest.raises(ExtensionError, match="at most 15 working days"):
        extend(received, due_at, 16, 0, 0, wide_open, cal(CN))


@pytest.mark.parametrize("days", [0, -1])
def test_extension_must_be_positive(days):
    with pytest.raises(ExtensionError, match="at least 1 day"):
        extend(RECEIVED_CN, DUE_CN, days, 0, 0, CN, cal(CN))


def test_no_extension_policy():
    strict = replace(CN, extension=None, extension_times=0)
    with pytest.raises(ExtensionError, match="allows no extension"):
        extend(RECEIVED_CN, DUE_CN, 1, 0, 0, strict, cal(CN))


def test_eu_extension_up_to_two_months():
    received = at("2026-01-15T10:00:00+01:00")
    due_at = initial_deadline(received, EU, cal(EU)).due_at
    assert due_at.date() == date(2026, 2, 16)  # 15 Feb is a Sunday
    # Two months after 16 Feb is Thu 16 Apr: 59 calendar days.
    assert extend(received, due_at, 59, 0, 0, EU, cal(EU)).isoformat() == (
        "2026-04-16T23:59:59+02:00"
    )
    with pytest.raises(ExtensionError, match=r"extension limit of 2m \(2026-04-16\)"):
        extend(received, due_at, 60, 0, 0, EU, cal(EU))


def test_us_ca_extension_up_to_45_days():
    received = at("2026-09-05T09:00:00-07:00")
    due_at = initial_deadline(received, US, cal(US)).due_at
    new = extend(received, due_at, 45, 0, 0, US, cal(US))
    assert new.isoformat() == "2026-12-04T23:59:59-08:00"  # Friday; PST after DST ends
    with pytest.raises(ExtensionError, match="at most 45 calendar days"):
        extend(received, due_at, 46, 0, 0, US, cal(US))
    with pytest.raises(ExtensionError, match="allows 1 extension"):
        extend(received, new, 1, 1, 45, US, cal(US))


# --- reports ----------------------------------------------------------------------------


def test_working_days_between():
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 10), cal(CN)) == 3
    assert working_days_between(date(2026, 10, 10), date(2026, 9, 30), cal(CN)) == 0


def test_due_soon_limit():
    """The limit the list, the detail and the sweep compare due_at with (§3.5 due soon)."""
    from pirights.deadlines.runtime import DeadlineBook

    def soon(now, due_at, working_days=3):
        book = DeadlineBook(POLICIES, POLICIES.build_calendars(), working_days)
        return now <= due_at <= book.due_soon_limit(now, "CN")

    due_at = at("2026-10-27T23:59:59+08:00")
    assert soon(at("2026-10-22T09:00:00+08:00"), due_at)  # Thu: 23, 26, 27
    assert not soon(at("2026-10-21T09:00:00+08:00"), due_at)
    assert soon(at("2026-10-27T23:59:59+08:00"), due_at)
    assert not soon(at("2026-10-28T00:00:00+08:00"), due_at)
    assert soon(at("2026-10-21T09:00:00+08:00"), due_at, 4)


# --- properties -------------------------------------------------------------------------

POLICY = st.sampled_from([CN, EU, US])
INSTANT = st.datetimes(
    min_value=datetime(2020, 1, 1),
    max_value=datetime(2032, 12, 31),
    timezones=st.just(UTC),
)
DAYS = st.integers(min_value=0, max_value=40)


def _is_due_instant(due_at, policy):
    """A due date is 23:59:59 local on a working day."""
    local = due_at.astimezone(policy.tz)
    return local.time() == time(23, 59, 59) and cal(policy).is_working_day(local.date())


@settings(max_examples=300, deadline=None)
@given(POLICY, INSTANT)
def test_due_date_is_end_of_a_working_day(policy, received):
    deadline = initial_deadline(received, policy, cal(policy))
    assert _is_due_instant(deadline.due_at, policy)
    assert deadline.due_at > received


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([CN, EU, US]), INSTANT, st.integers(min_value=1, max_value=60))
def test_one_more_working_day_is_strictly_later(policy, received, n):
    c = cal(policy)
    a, _ = period_end(received, Period(n, "working_days"), policy.tz, c)
    b, _ = period_end(received, Period(n + 1, "working_days"), policy.tz, c)
    assert b > a
    assert _is_due_instant(b, policy)


@settings(max_examples=200, deadline=None)
@given(POLICY, INSTANT, DAYS, st.integers(min_value=0, max_value=30 * 24))
def test_pause_never_moves_due_date_earlier(policy, received, pause_offset, hours):
    due_at = initial_deadline(received, policy, cal(policy)).due_at
    paused = received + timedelta(days=pause_offset)
    resumed = paused + timedelta(hours=hours)
    new, days = shift_for_pause(due_at, paused, resumed, policy, cal(policy))
    assert new >= due_at
    assert days >= 0
    assert (new == due_at) == (days == 0)
    if days:
        assert _is_due_instant(new, policy)


@settings(max_examples=200, deadline=None)
@given(POLICY, INSTANT, st.integers(min_value=1, max_value=60))
def test_extending_by_more_is_never_earlier(policy, received, days):
    c = cal(policy)
    unit = "working_days" if policy.respond.unit == "working_days" else "calendar_days"
    open_policy = replace(policy, outer_limit=None, extension=Period(200, unit))
    due_at = initial_deadline(received, policy, c).due_at
    shorter = extend(received, due_at, days, 0, 0, open_policy, c)
    longer = extend(received, due_at, days + 1, 0, 0, open_policy, c)
    assert due_at < shorter <= longer
    assert _is_due_instant(longer, policy)


@settings(max_examples=200, deadline=None)
@given(INSTANT, st.integers(min_value=1, max_value=15))
def test_cn_extension_never_passes_outer_limit(received, days):
    c = cal(CN)
    due_at = initial_deadline(received, CN, c).due_at
    outer, _ = period_end(received, CN.outer_limit, CN.tz, c)
    try:
        new = extend(received, due_at, days, 0, 0, CN, c)
    except ExtensionError:
        return
    assert new <= outer


# --- the app's book remembers a day's initial deadline ------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    st.sampled_from(["CN", "EU", "US-CA"]),
    st.sampled_from(["access", "delete", "complaint_portrait"]),
)
def test_the_books_remembered_deadline_is_the_computed_one(received, jurisdiction, rtype):
    # DeadlineBook.initial keeps one deadline per local day: any instant of that day, on
    # either side of the time zone's midnight, must get what the pure engine computes.
    from pirights.deadlines.runtime import DeadlineBook

    book = BOOK.setdefault("book", DeadlineBook(POLICIES, CALENDARS, 3))
    policy = POLICIES.get(jurisdiction, rtype)
    for instant in (received, received + timedelta(hours=7), received - timedelta(hours=9)):
        assert book.initial(instant, jurisdiction, rtype) == initial_deadline(
            instant, policy, cal(policy)
        )


BOOK: dict = {}  # one book across examples, so its memory is what is tested
