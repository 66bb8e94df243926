"""Files of requests (SPEC §12.3): evidence from the requester, results for them and
internal documents, sealed with the §8.2 key and kept on disk or in S3."""

from __future__ import annotations

from pathlib import Path

from flask import Flask


def init_app(app: Flask) -> None:
    """Open the store and plug files into the request lifecycle.

    Imported here, not at module level, because `pirights.models` imports `files.models`
    while the mappers are still being declared.
    """
    from pirights.config import ConfigError
    from pirights.files import service
    from pirights.files.storage import StoreError, open_store
    from pirights.requests import hooks

    section = app.config["PIRIGHTS"].raw.get("files", {}) or {}
    try:
        app.extensions[service.EXTENSION] = open_store(
            str(section.get("url", "") or ""),
            Path(app.instance_path),
            str(section.get("s3_endpoint_url", "") or ""),
        )
    except StoreError as exc:
        raise ConfigError(str(exc)) from None
    hooks.register(hooks.present_detail, service.present_detail)
    hooks.register(hooks.on_submitted, service.on_submitted)
    hooks.register(hooks.pii_erasers, service.erase_files)
