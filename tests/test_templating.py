"""The app's templates are Jinja's own: an import reuses the imported template's module, and a
template with globals of its own passes them to what it imports."""

from jinja2 import DictLoader, Template

LIB = "{{ made.append(1) or '' }}{% macro who() %}{{ person | default('nobody') }}{% endmacro %}"
PAGE = "{% from 'lib.html' import who %}[{{ who() }}]"


def environment(app):
    """The app's environment over two test templates; `made` gets one item per module made."""
    env = app.jinja_env.overlay(loader=DictLoader({"lib.html": LIB, "page.html": PAGE}))
    env.globals = {**app.jinja_env.globals, "made": []}
    return env


def test_the_app_renders_with_jinjas_own_templates(app):
    with app.app_context():
        assert type(app.jinja_env.get_template("base.html")) is Template


def test_imports_reuse_the_module_of_the_imported_template(app):
    env = environment(app)
    assert env.get_template("page.html").render() == "[nobody]"
    assert env.get_template("page.html").render() == "[nobody]"
    assert env.globals["made"] == [1]


def test_a_template_of_its_own_globals_passes_them_to_what_it_imports(app):
    env = environment(app)
    shown = [env.get_template("page.html").render()]
    shown.append(env.from_string(PAGE, globals={"person": "王"}).render())
    shown.append(env.get_template("page.html").render())
    assert shown == ["[nobody]", "[王]", "[nobody]"]
