"""Request-level plumbing shared by every blueprint: hooks, errors, template helpers."""
