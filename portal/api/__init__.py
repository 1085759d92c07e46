"""The JSON API's domain side: clients, their tokens and scopes (the routes are in blueprints/api)."""
