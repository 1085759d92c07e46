"""portal.web.templating: imports reuse the imported template's module as Jinja would."""

from jinja2 import DictLoader, Environment, Template

from portal.web.templating import PortalTemplate

LIB = "{% macro who() %}{{ person | default('nobody') }}{% endmacro %}"
PAGE = "{% from 'lib.html' import who %}[{{ who() }}]"


def environment(template_class=PortalTemplate) -> Environment:
    env = Environment(loader=DictLoader({"lib.html": LIB, "page.html": PAGE}), autoescape=True)
    env.template_class = template_class
    return env


def test_the_app_renders_with_portal_templates(app):
    with app.app_context():
        assert isinstance(app.jinja_env.get_template("base.html"), PortalTemplate)


def test_imports_reuse_the_module_of_the_imported_template():
    env = environment()
    assert env.get_template("page.html").render() == "[nobody]"
    module = env.get_template("lib.html")._module
    assert module is not None
    assert env.get_template("page.html").render() == "[nobody]"
    assert env.get_template("lib.html")._module is module


def renders(env: Environment) -> list[str]:
    """What the page renders to, then a template with a global of its own, then the page."""
    shown = [env.get_template("page.html").render()]
    shown.append(env.from_string(PAGE, globals={"person": "王"}).render())
    shown.append(env.get_template("page.html").render())
    return shown


def test_a_template_of_its_own_globals_passes_them_to_what_it_imports_as_in_jinja():
    assert renders(environment()) == renders(environment(Template)) == ["[nobody]", "[王]", "[nobody]"]
