"""Configuration layering and start-up checks (§2)."""

from __future__ import annotations

import pytest

from pirights import ConfigError, create_app
from pirights.config import load_settings


def test_defaults_load():
    s = load_settings(env={})
    assert s.default_jurisdiction == "CN" and s.public_rate_limit == "20/hour"
    assert s.max_body_bytes == 1048576 and s.port == 8000


def test_env_overrides_file(tmp_path):
    override = tmp_path / "site.toml"
    override.write_text('[public]\nrate_limit = "5/minute"\n[server]\nport = 9000\n')
    s = load_settings(env={"PIRIGHTS_CONFIG": str(override), "PIRIGHTS_PORT": "9100"})
    assert s.public_rate_limit == "5/minute" and s.port == 9100


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"PIRIGHTS_PORT": "eighty"}, "server.port"),
        ({"PIRIGHTS_PUBLIC_RATE_LIMIT": "lots"}, "public.rate_limit"),
        ({"PIRIGHTS_MAX_BODY_BYTES": "10"}, "public.max_body_bytes"),
        ({"PIRIGHTS_DATABASE_URL": "mysql://x"}, "database.url"),
        ({"PIRIGHTS_WORKERS": "0"}, "server.workers"),
        ({"PIRIGHTS_DEFAULT_JURISDICTION": "XX"}, "default_jurisdiction"),
    ],
)
def test_bad_values_stop_start_up_naming_the_key(env, key, tmp_path):
    with pytest.raises(ConfigError) as info:
        create_app(settings=load_settings(env=env), instance_path=str(tmp_path))
    assert key in str(info.value)


def test_bad_policy_names_its_key(tmp_path):
    override = tmp_path / "p.toml"
    override.write_text('[policies.CN]\nrespond = "15x"\n')
    with pytest.raises(ConfigError) as info:
        create_app(
            settings=load_settings(env={"PIRIGHTS_CONFIG": str(override)}),
            instance_path=str(tmp_path),
        )
    assert "policies.CN.respond" in str(info.value)


def test_bad_toml_is_reported(tmp_path):
    override = tmp_path / "broken.toml"
    override.write_text("[public\n")
    with pytest.raises(ConfigError, match=r"broken\.toml"):
        load_settings(env={"PIRIGHTS_CONFIG": str(override)})


def test_postgres_needs_an_encryption_key(tmp_path):
    env = {"PIRIGHTS_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/none"}
    with pytest.raises(ConfigError, match=r"pirights keys generate"):
        create_app(settings=load_settings(env=env), instance_path=str(tmp_path))


def test_bad_encryption_key_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="32 bytes"):
        create_app(
            settings=load_settings(env={"PIRIGHTS_ENCRYPTION_KEY": "c2hvcnQ="}),
            instance_path=str(tmp_path),
        )


def test_sqlite_creates_its_key_with_mode_0600(tmp_path):
    instance = tmp_path / "inst"
    create_app(settings=load_settings(env={}), instance_path=str(instance))
    key = instance / "encryption.key"
    assert key.exists() and (key.stat().st_mode & 0o777) == 0o600
    first = key.read_text()
    create_app(settings=load_settings(env={}), instance_path=str(instance))
    assert key.read_text() == first


def test_trusted_proxies_take_the_client_address_from_forwarded_for(app_overrides, tmp_path):
    from flask import request

    app_overrides["server"] = {"trusted_proxies": 1}
    app = create_app(app_overrides, instance_path=str(tmp_path))
    app.add_url_rule("/_addr", "addr", lambda: request.remote_addr)
    client = app.test_client()
    seen = client.get("/_addr", headers={"X-Forwarded-For": "203.0.113.9"}).get_data(as_text=True)
    assert seen == "203.0.113.9"
    direct = create_app(
        {**app_overrides, "server": {"trusted_proxies": 0}}, instance_path=str(tmp_path / "b")
    )
    direct.add_url_rule("/_addr", "addr", lambda: request.remote_addr)
    forged = direct.test_client().get("/_addr", headers={"X-Forwarded-For": "203.0.113.9"})
    assert forged.get_data(as_text=True) != "203.0.113.9"
