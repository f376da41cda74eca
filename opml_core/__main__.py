"""Run the opml command line: ``python -m opml_core --help``."""

import sys

from opml_core.cli import main

sys.exit(main())
