"""The policies and calendars the project ships, loaded once for the pure engine's tests."""

from __future__ import annotations

from pathlib import Path

from pirights.deadlines import build_calendars, load_policies

CONFIG = Path(__file__).resolve().parents[2] / "config" / "policies.toml"
POLICIES = load_policies(CONFIG)
CALENDARS = build_calendars()
CN = POLICIES.get("CN", "access")
EU = POLICIES.get("EU", "access")
US = POLICIES.get("US-CA", "access")
