"""The sales pipeline: opportunities from prospect to signed agreement."""
