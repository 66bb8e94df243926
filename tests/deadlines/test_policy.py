"""Policies: periods, config parsing and lookup."""

import copy
import tomllib
from pathlib import Path

import pytest

from pirights.deadlines import (
    Period,
    PolicyError,
    UnknownJurisdictionError,
    load_policies,
    parse_policies,
)
from pirights.requests.lifecycle import TYPES

CONFIG = Path(__file__).resolve().parents[2] / "config" / "policies.toml"


@pytest.fixture(scope="module")
def data():
    """The shipped config/policies.toml as parsed TOML."""
    with open(CONFIG, "rb") as fh:
        return tomllib.load(fh)


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("15wd", Period(15, "working_days")),
        ("30d", Period(30, "calendar_days")),
        ("1m", Period(1, "months")),
    ],
)
def test_period_round_trip(text, period):
    assert Period.parse(text) == period
    assert period.code() == text


@pytest.mark.parametrize("text", ["15x", "0d", "-1d", "15 wd", "wd", "1.5m", "", 15])
def test_period_rejects(text):
    with pytest.raises(ValueError, match="is not a period like 15wd, 30d or 1m"):
        Period.parse(text)


def test_shipped_defaults_match_spec():
    policies = load_policies(CONFIG)
    assert policies.jurisdictions() == ["CN", "EU", "US-CA"]
    assert policies.default_jurisdiction == "CN"
    cn = policies.get("CN", "delete")
    assert cn.request_type is None
    assert (cn.timezone, cn.calendar, cn.rule()) == ("Asia/Shanghai", "CN", "CN:15wd")
    assert cn.extension == Period(15, "working_days")
    assert cn.extension_times == 1
    assert cn.outer_limit == Period(30, "calendar_days")
    eu = policies.get("EU", "access")
    assert (eu.timezone, eu.calendar, eu.rule()) == ("Europe/Brussels", "weekends", "EU:1m")
    assert eu.extension == Period(2, "months")
    us = policies.get("US-CA", "access")
    assert (us.timezone, us.rule()) == ("America/Los_Angeles", "US-CA:45d")
    assert us.acknowledge == Period(10, "working_days")
    assert us.extension == Period(45, "calendar_days")
    assert set(policies.build_calendars()) >= {"CN", "weekends"}


def test_type_override_inherits_the_rest(data):
    data = copy.deepcopy(data)
    data["policies"]["CN"]["types"] = {"delete": {"respond": "10wd"}}
    policies = parse_policies(data)
    delete = policies.get("CN", "delete")
    assert delete.rule() == "CN.delete:10wd"
    assert delete.request_type == "delete"
    assert delete.outer_limit == Period(30, "calendar_days")
    assert policies.get("CN", "access").rule() == "CN:15wd"


def test_unknown_jurisdiction(data):
    policies = parse_policies(data)
    with pytest.raises(UnknownJurisdictionError, match="'XX'"):
        policies.get("XX", "access")
    with pytest.raises(LookupError):
        policies.get("XX", "access")


def test_calendar_schedules_from_config(data):
    data = copy.deepcopy(data)
    data["calendars"] = {"CN": {"schedules": {"2031": {"off": [], "on": ["2031-09-27"]}}}}
    cal = parse_policies(data).build_calendars()["CN"]
    assert not cal.is_provisional(2031)


def _with(data, path, value):
    """A copy of ``data`` with the dotted ``path`` set to ``value``."""
    data = copy.deepcopy(data)
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("policies.CN.respond", "15x", "policies.CN.respond: '15x' is not a period like 15wd"),
        ("policies.EU.extension", "2 months", "policies.EU.extension: '2 months' is not"),
        ("policies.CN.timezone", "Asia/Nowhere", "policies.CN.timezone: 'Asia/Nowhere' is not"),
        ("policies.CN.calendar", "XX", "policies.CN.calendar: 'XX' is not one of"),
        ("policies.CN.extension_times", -1, "policies.CN.extension_times: -1 is not"),
        ("policies.CN.extension_times", "1", "policies.CN.extension_times: '1' is not"),
        ("policies.CN.respnd", "15wd", "policies.CN.respnd: unknown setting"),
        ("policies.CN.types.delet", {"respond": "10wd"}, "policies.CN.types.delet: 'delet' is"),
        ("policies.CN.types.delete", {"respond": "9"}, "policies.CN.types.delete.respond: '9'"),
        ("policies.US-CA", "45d", "policies.US-CA: expected a table"),
        ("calendars.CN.schedules", {"2031": {"off": ["x"]}}, "calendars.CN.schedules.2031.off"),
        ("calendars.EU.holidyas", [], "calendars.EU.holidyas: unknown setting"),
        ("default_jurisdiction", "XX", "default_jurisdiction: 'XX' has no policy"),
        ("polices", {}, "polices: unknown top-level setting"),
    ],
)
def test_parse_rejects_naming_the_key(data, path, value, message):
    with pytest.raises(PolicyError) as info:
        parse_policies(_with(data, path, value), TYPES)
    assert str(info.value).startswith(message)


def test_missing_required_and_extension(data):
    bad = copy.deepcopy(data)
    del bad["policies"]["EU"]["respond"]
    with pytest.raises(PolicyError, match=r"^policies\.EU\.respond: required"):
        parse_policies(bad)
    bad = copy.deepcopy(data)
    del bad["policies"]["EU"]["extension"]
    with pytest.raises(PolicyError, match=r"^policies\.EU\.extension: required"):
        parse_policies(bad)
    with pytest.raises(PolicyError, match=r"^policies: expected a table"):
        parse_policies({})
