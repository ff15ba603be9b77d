"""Synthetic status exports, under their old import path: see :mod:`inkorg_kit.demo.status_export`.

Why a facade: tests, the README and ``python -m inkorg_kit.synth_status
params/demo/campaign.yaml`` use this path. Code inside the package imports from
:mod:`inkorg_kit.demo.status_export`.
"""

import sys

from inkorg_kit.demo.status_export import SyntheticExport, main, status_export, write_status_export

__all__ = ["SyntheticExport", "main", "status_export", "write_status_export"]

if __name__ == "__main__":
    sys.exit(main())
