"""Which language a page is shown in: ?lang= > the lang cookie > Accept-Language > zh-CN.

Most requesters read Chinese, so Chinese is the default whatever the browser says, unless it
prefers English.
"""

from __future__ import annotations

from flask import Response, has_request_context, request

# page language code -> (Babel locale, the html lang attribute / API locale)
LANGUAGES = {"zh": ("zh_CN", "zh-CN"), "en": ("en", "en")}
DEFAULT = "zh"
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def _code(value: str | None) -> str | None:
    """The page language for a ?lang= or cookie value (zh, zh-CN, zh-Hans, en, en-US...)."""
    if not value:
        return None
    primary = value.strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in LANGUAGES else None


def page_language() -> str:
    """The language code of this request's page (the default outside a request)."""
    if not has_request_context():
        return DEFAULT
    chosen = _code(request.args.get("lang")) or _code(request.cookies.get(COOKIE))
    if chosen:
        return chosen
    # The browser's most preferred language we speak, any region (zh-TW reads zh-CN too).
    for value, _quality in request.accept_languages:
        if _code(value):
            return _code(value)  # type: ignore[return-value]
    return DEFAULT


def babel_locale() -> str:
    """Flask-Babel's locale selector."""
    return LANGUAGES[page_language()][0]


def html_lang() -> str:
    """The BCP 47 tag of the page, for <html lang> and the request's `locale`."""
    return LANGUAGES[page_language()][1]


def remember_choice(response: Response) -> Response:
    """Keep an explicit ?lang= choice in a cookie, so the next pages and posts use it."""
    chosen = _code(request.args.get("lang"))
    if chosen and chosen != _code(request.cookies.get(COOKIE)):
        response.set_cookie(
            COOKIE,
            chosen,
            max_age=COOKIE_MAX_AGE,
            samesite="Lax",
            httponly=True,
            secure=request.is_secure,
        )
    return response
