"""`deregister` (PIPL Art 47; §14) is a rights type like `delete` everywhere."""

from __future__ import annotations

import pytest

from pirights.requests.lifecycle import COMPLAINT_TYPES, RIGHTS_TYPES
from tests.form.conftest import page_of


def test_it_is_a_rights_type_not_a_complaint():
    assert "deregister" in RIGHTS_TYPES and "deregister" not in COMPLAINT_TYPES


@pytest.mark.parametrize(
    ("lang", "label", "law"),
    [("en", "Close my account", "PIPL Art 47"), ("zh", "注销账户", "《个人信息保护法》第47条")],
)
def test_the_form_offers_it_in_both_languages(client, lang, label, law):
    doc = page_of(client.get(f"/?lang={lang}"))
    assert label in doc.find("label", **{"for": "type-deregister"}).text()
    assert law in doc.by_id("type-deregister-desc").find("span", class_="law").text()


def test_public_intake_counts_the_cn_policy(client, clock):
    resp = client.post(
        "/api/v1/public/requests",
        json={
            "type": "deregister",
            "requester": {"name": "张三", "email": "zs@example.cn", "account_id": "u-1"},
            "description": "Close my account u-1.",
        },
    )
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    # Received 2026-09-30 10:00 +08:00: 15 working days, as for delete (§3.4 example).
    assert body["type"] == "deregister" and body["due_at"] == "2026-10-27T23:59:59+08:00"


def test_a_policy_may_be_set_for_it(app_overrides):
    from pirights import ConfigError, create_app

    app_overrides["policies"] = {"CN": {"types": {"deregister": {"respond": "10wd"}}}}
    create_app(app_overrides)
    app_overrides["policies"] = {"CN": {"types": {"deregistr": {"respond": "10wd"}}}}
    with pytest.raises(ConfigError, match="deregistr"):
        create_app(app_overrides)
