"""Watching the gateway: usage per agent, abnormal spend, the month check, health. Pure."""
