"""Screens and widgets only: every network call goes through ``voipbin_tui.api``."""
