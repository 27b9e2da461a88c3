"""`python -m spamguard` runs the command line."""

import sys

from spamguard.cli import main

sys.exit(main())
