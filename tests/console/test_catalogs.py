"""The console's catalogs: complete, compiled, and agreeing with the form's."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po
from babel.support import Translations

from pirights.console import TRANSLATIONS
from pirights.intake_form import TRANSLATIONS as FORM_TRANSLATIONS


def _catalog(folder, locale: str):
    """One locale's .po catalog."""
    with (folder / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=locale)


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_console_catalogs_are_complete_and_compiled(locale):
    catalog = _catalog(TRANSLATIONS, locale)
    with (TRANSLATIONS / "messages.pot").open("rb") as fh:
        template = read_po(fh)
    ids = {m.id for m in template if m.id}
    assert ids == {m.id for m in catalog if m.id}, "run make console-messages"
    compiled = Translations.load(str(TRANSLATIONS), [locale])
    for message in catalog:
        if message.id:
            assert message.string and not message.fuzzy, message.id
            if message.context:  # pgettext entries (words.ACTION_LABELS...)
                found = compiled.pgettext(message.context, message.id)
            elif isinstance(message.id, tuple):  # plurals: the singular form
                found, message_string = compiled.ngettext(*message.id, 1), message.string[0]
                assert found == message_string, "run make console-messages"
                continue
            else:
                found = compiled.gettext(message.id)
            assert found == message.string, "run make console-messages"
    if locale == "zh":
        assert all(
            re.search(
                r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]",
                "".join(m.string) if isinstance(m.string, tuple) else m.string,
            )
            for m in catalog
            if m.id
        )


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_strings_shared_with_the_form_read_the_same(locale):
    """Flask-Babel merges both catalogs into one: a differing translation would change the
    form's pages too."""
    form = {m.id: m.string for m in _catalog(FORM_TRANSLATIONS, locale) if m.id}
    # Entries with a context (pgettext: the action "Complete") are other messages.
    console = {m.id: m.string for m in _catalog(TRANSLATIONS, locale) if m.id and not m.context}
    assert {k: console[k] for k in form.keys() & console.keys()} == {
        k: form[k] for k in form.keys() & console.keys()
    }
