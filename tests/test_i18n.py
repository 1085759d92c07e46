"""The Chinese catalogue is complete and pages speak Chinese by default, English on request."""

import re
from pathlib import Path

from babel.messages.pofile import read_po

CATALOGUE = Path(__file__).resolve().parent.parent / "portal/translations/zh/LC_MESSAGES/messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")


def _catalogue():
    with CATALOGUE.open("rb") as f:
        return read_po(f)


def test_every_message_has_a_chinese_translation():
    untranslated = []
    for message in _catalogue():
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            untranslated.append(message.id)
    assert not untranslated, f"run scripts/i18n.sh and translate: {untranslated[:10]}"


def test_translations_keep_their_placeholders():
    broken = []
    for message in _catalogue():
        if not message.id or not message.string:
            continue
        source = message.id[0] if isinstance(message.id, tuple) else message.id
        target = message.string[0] if isinstance(message.string, tuple) else message.string
        if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(target)):
            broken.append(source)
    assert not broken, broken[:10]


def test_pages_are_chinese_by_default_and_english_on_request(client, world):
    assert "登录" in client.get("/login").get_data(as_text=True)
    client.get("/lang/en")
    assert "Sign in" in client.get("/login").get_data(as_text=True)
    client.get("/lang/zh")
    assert "登录" in client.get("/login").get_data(as_text=True)


def test_every_coded_value_has_a_chinese_label(app):
    """Labels (some with a context) all come out translated: none is left in English."""
    from flask_babel import force_locale

    from portal.labels import LABELS, label

    with app.test_request_context():
        with force_locale("en"):  # no English catalogue: each label's source text
            source = {
                (kind, value): str(text) for kind, values in LABELS.items() for value, text in values.items()
            }
        with force_locale("zh"):
            english = [
                (kind, value)
                for (kind, value), text in source.items()
                if label(value, kind) == text and any(c.isalpha() for c in label(value, kind))
            ]
    assert not english, english[:10]


def test_templates_translate_once_per_render_and_follow_force_locale(app):
    """Templates translate in the language of the request, or the forced one; variables are
    escaped under autoescape, and plurals pick their form."""
    from flask import render_template_string
    from flask_babel import force_locale

    page = (
        "{{ _('Assigned to %(name)s', name=who) }}|{{ ngettext('%(num)s version', '%(num)s versions', n) }}"
    )
    with app.test_request_context():
        with force_locale("zh"):
            assert (
                render_template_string(page, who="<b>王</b>", n=2) == "负责人：&lt;b&gt;王&lt;/b&gt;|共 2 版"
            )
            with force_locale("en"):
                assert render_template_string(page, who="Li", n=1) == "Assigned to Li|1 version"
                assert render_template_string(page, who="Li", n=3) == "Assigned to Li|3 versions"
            assert render_template_string("{{ _('Sign in') }}") == "登录"


def test_strings_without_variables_keep_their_language_and_format(app):
    """Strings without variables are kept translated per language: a switch of language, and
    back, still gets each language's text, and `%%` still formats to `%`."""
    from flask import render_template_string
    from flask_babel import force_locale

    page = "{{ _('Sign in') }}|{{ _('100%% sure') }}|{{ _('Sign in') }}"
    with app.test_request_context():
        for _round in range(2):
            with force_locale("zh"):
                assert render_template_string(page) == "登录|100% sure|登录"
            with force_locale("en"):
                assert render_template_string(page) == "Sign in|100% sure|Sign in"
            with force_locale("zh"):
                # Outside autoescape the text is formatted the same way.
                assert render_template_string(
                    "{% autoescape false %}{{ _('100%% sure') }}{% endautoescape %}"
                ) == ("100% sure")


def test_labels_follow_the_request_language_and_force_locale(client, world):
    """Labels read the language cheaply (portal.i18n.current_language) but still follow the
    visitor's choice and a force_locale block, in either direction."""
    from flask import session
    from flask_babel import force_locale

    from portal.i18n import current_language
    from portal.labels import label

    app = client.application
    with app.test_request_context():
        assert current_language() == "zh" and label("gold", "tier") == "金"
        with force_locale("en"):
            assert current_language() == "en" and label("gold", "tier") == "Gold"
        assert label("gold", "tier") == "金"
    with app.test_request_context():
        session["lang"] = "en"
        assert label("gold", "tier") == "Gold"
        with force_locale("zh"):
            assert label("gold", "tier") == "金"
        assert label("gold", "tier") == "Gold"
    with app.app_context():
        assert current_language() == "zh"  # a job or command: the default language
    assert current_language() is None and label(None, "tier") == "–"


def test_navbar_and_dossier_tabs_follow_the_language_and_the_role(client, world, login):
    """The navbar's links and the dossier's tab labels are built once per language (and role):
    switching language or user still shows the right ones."""
    import re

    from tests.conftest import sign_in

    def navbar(page: str) -> list[str]:
        menu = re.search(r'<ul class="navbar-nav me-auto">(.*?)</ul>', page, re.S).group(1)
        return re.findall(r">([^<>]+)</a>", menu)

    def tabs(page: str) -> list[str]:
        bar = re.search(r'data-testid="dossier-nav">(.*?)</nav>', page, re.S).group(1)
        return re.findall(r">([^<>]+)</a>", bar)

    dossier = f"/companies/{world.company_a.id}"
    login(world.manager_a1)
    page = client.get(dossier).get_data(as_text=True)
    assert "企业" in navbar(page) and "系统管理" not in navbar(page)
    assert tabs(page)[:2] == ["概览", "重点旅客"] and "<title>北京" in page
    travellers = client.get(f"{dossier}/travellers").get_data(as_text=True)
    assert "<title>重点旅客 · 北京" in travellers
    client.get("/lang/en")
    page = client.get(dossier).get_data(as_text=True)
    assert "Companies" in navbar(page) and "Administration" not in navbar(page)
    assert tabs(page)[:2] == ["Overview", "Key travellers"]
    client.get("/lang/zh")
    assert "企业" in navbar(client.get(dossier).get_data(as_text=True))
    admin = client.application.test_client()
    sign_in(admin, world.admin.email)
    assert "系统管理" in navbar(admin.get("/companies/").get_data(as_text=True))
    assert "系统管理" not in navbar(client.get("/companies/").get_data(as_text=True))
