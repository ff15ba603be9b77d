"""The kernel manager ``inkorg-kit lab`` and ``make lab`` give JupyterLab: every kernel starts in
the served folder (the campaign folder), wherever its notebook lies.

Why: the notebooks' relative paths (``out/<campaign>``, an extract named in the campaign) count
from the kernel's working folder, which Jupyter sets to the notebook's own folder; the
notebooks sit in ``notebooks/`` under the campaign folder, so without this a notebook would
write its run folder under ``notebooks/out/``. Imported by the JupyterLab server process only
(by name, ``--ServerApp.kernel_manager_class``), so the command does not load Jupyter's server.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

__all__ = ["CampaignKernelManager"]


class CampaignKernelManager(AsyncMappingKernelManager):
    """A kernel manager whose kernels all start in its ``root_dir`` (by default the server's
    ``root_dir``: the folder JupyterLab serves)."""

    def cwd_for_path(self, path: Any, **kwargs: Any) -> str:
        return str(self.root_dir)
