"""What the CLI and the TUI both do, written once and Textual-free: send a test message and find
its capture, export captures, ask before live traffic, and follow a traffic source.

Workflows use a ``Connection`` (its clients carry the read-only gate); the CLI and the TUI only
ask the questions and show the results.
"""
