"""Working-day calendars: China's official schedule, provisional years, Mon-Fri calendars."""

from datetime import date, timedelta

import holidays
import pytest

from pirights.deadlines import build_calendars, package_schedule_years


@pytest.fixture(scope="module")
def cn():
    """The CN calendar with no hand-supplied schedule."""
    return build_calendars()["CN"]


def first_unscheduled_year() -> int:
    """The first year after the package's last official schedule."""
    return max(package_schedule_years()) + 1


@pytest.mark.parametrize(
    "d",
    [
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ],
)
def test_cn_2026_working_weekends_are_working_days(cn, d):
    assert d.weekday() >= 5
    assert cn.is_working_day(d)


def test_cn_2026_national_day_week_is_off(cn):
    assert not any(cn.is_working_day(date(2026, 10, day)) for day in range(1, 8))
    assert cn.is_working_day(date(2026, 10, 8))


def test_cn_cross_year_working_weekend_from_next_years_notice(cn):
    # 2011-12-31 (Sat) was worked for New Year 2012, announced in the 2012 notice.
    assert cn.is_working_day(date(2011, 12, 31))


# Days where chinesecalendar is wrong and `holidays` follows the State Council notice.
KNOWN_CHINESECALENDAR_ERRORS = {
    # 国办发明电〔2005〕35号 (2006 schedule): "12月31日（星期六）上班".
    date(2005, 12, 31): True,
}


def test_cross_check_with_chinesecalendar(cn):
    chinese_calendar = pytest.importorskip(
        "chinese_calendar", reason="chinesecalendar (a test dependency) is not installed"
    )
    checked = []
    for year in sorted(package_schedule_years()):
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
            chinese_calendar.is_workday(date(year, 12, 31))
        except NotImplementedError:
            continue
        d = date(year, 1, 1)
        while d.year == year:
            expected = KNOWN_CHINESECALENDAR_ERRORS.get(d, chinese_calendar.is_workday(d))
            assert cn.is_working_day(d) == expected, d
            d += timedelta(days=1)
        checked.append(year)
    assert set(range(2020, 2027)) <= set(checked)


def test_scheduled_years_are_not_provisional(cn):
    assert not any(cn.is_provisional(y) for y in range(2020, 2027))


def test_year_without_schedule_is_provisional_statutory_only(cn):
    year = first_unscheduled_year()
    assert cn.is_provisional(year)
    assert cn.is_provisional(2031)
    # Statutory holidays only: no weekend is ever a working day.
    d = date(year, 1, 1)
    while d.year == year:
        if d.weekday() >= 5:
            assert not cn.is_working_day(d), d
        d += timedelta(days=1)
    assert not cn.is_working_day(date(year, 10, 1))


def test_provisional_year_uses_weekday_make_up_days(cn):
    # 2031-04-05 (Qingming) is a Saturday; the law's 补假 is Monday 7 April.
    assert date(2031, 4, 5).weekday() == 5
    assert not cn.is_working_day(date(2031, 4, 7))
    assert cn.is_working_day(date(2031, 4, 8))


def test_late_december_is_provisional_until_next_years_schedule(cn):
    last = max(package_schedule_years())
    assert cn.is_provisional_day(date(last, 12, 28))
    assert not cn.is_provisional_day(date(last, 12, 1))
    assert not cn.is_provisional_day(date(2025, 12, 28))


def test_supplied_schedule_makes_year_official_and_applies():
    year = 2031
    schedule = {
        "off": ["2031-10-06", "2031-10-07"],
        "on": ["2031-09-27", "2030-12-28"],
    }
    cal = build_calendars(schedules={"CN": {str(year): schedule}})["CN"]
    assert not cal.is_provisional(year)
    assert cal.is_provisional(year + 1)
    assert cal.is_working_day(date(2031, 9, 27))  # a Saturday
    assert cal.is_working_day(date(2030, 12, 28))  # a Saturday in the year before
    assert not cal.is_working_day(date(2031, 10, 6))  # a Monday
    assert not cal.is_working_day(date(2031, 10, 1))  # statutory holiday still off
    # The package's computed 补假 is dropped: the notice decides moved days.
    assert cal.is_working_day(date(2031, 4, 7))
    assert "config schedule 2031" in cal.describe()
    assert cal.describe().startswith(f"holidays {holidays.__version__} CN")


def test_bad_schedule_is_rejected_naming_the_entry():
    with pytest.raises(ValueError, match=r"calendars\.CN\.schedules\.2031\.off"):
        build_calendars(schedules={"CN": {"2031": {"off": ["31 Oct"]}}})
    with pytest.raises(ValueError, match="both on and off"):
        build_calendars(schedules={"CN": {"2031": {"off": ["2031-10-06"], "on": ["2031-10-06"]}}})


def test_weekends_calendar():
    cals = build_calendars(holidays_extra={"EU": ["2026-12-25"]})
    weekends = cals["weekends"]
    assert weekends.is_working_day(date(2026, 12, 25))
    assert not weekends.is_working_day(date(2026, 12, 26))
    assert not weekends.is_provisional(2040)
    assert weekends.describe() == "weekends"
    assert not cals["EU"].is_working_day(date(2026, 12, 25))
    assert "2026-12-25" in cals["EU"].describe()
