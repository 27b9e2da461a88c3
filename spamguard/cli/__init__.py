"""The `spamguard` command."""

from spamguard.cli.main import main

__all__ = ["main"]
