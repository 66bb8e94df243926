"""Every word the emails take from the catalogs is translated (the msgids are shared with
the request form, so a changed form text must not leave emails in English)."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from pirights.notify import words
from pirights.requests.present import LEGAL_BASIS_TEXT, RIGHTS_NOTICE

CATALOG = Path(__file__).resolve().parents[2] / "pirights/intake_form/translations"


def _msgid(value) -> str:
    """The msgid of a lazy string or plain text."""
    return value._args[0] if hasattr(value, "_args") else value


@pytest.mark.parametrize(
    "msgid",
    sorted(
        {_msgid(v) for v in words.TYPE_TITLES.values()}
        | {_msgid(v) for v in words.RESULT_TEXTS.values()}
        | set(LEGAL_BASIS_TEXT.values())
        | {RIGHTS_NOTICE}
    ),
)
def test_the_chinese_catalog_translates_it(msgid):
    with (CATALOG / "zh/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    message = catalog.get(msgid)
    assert message is not None and message.string, msgid


def test_every_request_type_has_a_title():
    from pirights.requests.lifecycle import TYPES

    assert set(words.TYPE_TITLES) == set(TYPES)
