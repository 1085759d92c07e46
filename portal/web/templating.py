"""The portal's Jinja environment: Flask's, with one cost of Jinja's imports removed."""

from flask.templating import Environment
from jinja2 import Template


class PortalTemplate(Template):
    """A template whose `{% from ... import %}` reuses the imported template's module whenever
    Jinja's own check would.

    On every import of every render Jinja takes the importing render's global names minus the
    imported template's, comparing them one by one through a ChainMap: about 30 µs with the
    portal's 26 globals, five times on a dossier page (pallets/jinja#2185 is about the same
    per-render ChainMap cost). When the render's globals are all environment globals, which
    every template has, that difference is empty and Jinja returns the cached module; this
    checks that with one set comparison first. Anything else goes through Jinja unchanged."""

    def _get_default_module(self, ctx=None):
        if ctx is not None and ctx.globals_keys <= self.environment.globals.keys():
            ctx = None  # nothing of the render's globals is new to this template
        return super()._get_default_module(ctx)


class PortalEnvironment(Environment):
    template_class = PortalTemplate
