"""The staff console (SPEC §13): server-rendered pages for the privacy team at /console/.

Every module of this package whose name ends in `_views` registers its routes on the one
blueprint (`pirights.console.blueprint.bp`); init_app imports them all, so a new page is a
new module and no shared list to edit. Pages are guarded by `session.console_view(*roles)`.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from flask import Flask

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def view_modules() -> list[str]:
    """The names of this package's `*_views` modules, sorted."""
    return sorted(
        info.name
        for info in pkgutil.iter_modules([str(Path(__file__).parent)])
        if info.name.endswith("_views")
    )


def init_app(app: Flask) -> None:
    """Register the console's blueprint and its catalogs (after intake_form: Babel, CSRF)."""
    from pirights.console import oidc_views, settings
    from pirights.console.blueprint import bp, security_headers, unrouted

    for name in view_modules():
        importlib.import_module(f"{__name__}.{name}")
    # The console's catalogs sit beside the form's: Flask-Babel merges every directory's
    # `messages` domain, so the form's strings (languages, errors) stay available here.
    babel_config = app.extensions["babel"]
    if str(TRANSLATIONS) not in babel_config.translation_directories:
        babel_config.translation_directories.append(str(TRANSLATIONS))
    app.extensions["pirights_console"] = settings.load(app.config["PIRIGHTS"].raw)
    oidc_views.register(app, app.extensions["pirights_console"])
    app.register_blueprint(bp)
    app.after_request(security_headers)
    for code in (404, 405):
        app.register_error_handler(code, unrouted)
