"""Users, sign-in, sessions and the access policy."""
