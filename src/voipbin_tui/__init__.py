"""voipbin-tui: manage VoIPBIN conversation accounts and inspect their webhooks."""

__version__ = "0.1.0"
