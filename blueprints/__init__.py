"""One blueprint per area of the site: routes and forms, thin, calling portal services."""
