"""``python -m inkorg_kit`` is the ``inkorg-kit`` command."""

import sys

from inkorg_kit.cli import main

sys.exit(main())
