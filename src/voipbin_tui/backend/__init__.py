"""The embedded backend: a sandbox VoIPBIN, the provider hook, and the captured-traffic feed.

One Starlette app on uvicorn, stored in SQLite under the data dir. Start it with
``server.start_embedded`` (in-process, for the TUI and tests) or ``server.run_server``
(``voipbin-tui serve``); then talk to it over HTTP like any VoIPBIN. Never imports Textual.

This package imports nothing by itself: a command that only finds the data dir's running
backend (``service.find_running``) must not pay for Starlette, uvicorn and the store.
"""
