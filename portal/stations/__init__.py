"""Stations (airports) and their daily VIP service notices (要客通知单); per-trip services."""
