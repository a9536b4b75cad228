"""Allow ``python -m voipbin_tui``."""

from voipbin_tui.cli import main

main()
