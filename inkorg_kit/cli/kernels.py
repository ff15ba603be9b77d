"""The kernels the command starts: IPC sockets in a private folder of their own.

Why: kernels started at the same moment (two runs, two test workers) must not collide, and
executed notebooks hold campaign data, so their sockets are files only this user can open; and
each kernel gets only the environment its step needs (the archive password: step 02 alone).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from traitlets import CaselessStrEnum, default

__all__ = ["local_kernel_manager"]


def local_kernel_manager(env: Mapping[str, str] | None = None) -> type:
    """A kernel manager that talks to its kernel over local sockets in a folder of its own.

    ``env``: the whole environment the kernel starts with (None: this process's). Why: the
    command gives each step's kernel only what it needs; the archive password reaches step
    02's kernel alone (papermill starts the kernel itself, so the environment travels with
    the manager's class).

    Executed notebooks hold campaign data; IPC sockets are files only this user can open (and
    the kernel's "running over TCP without encryption" warning no longer alarms the analyst).
    Each kernel gets a private folder (``mkdtemp``, mode 0700) for its connection file and its
    sockets, removed when the kernel shuts down. Why: kernels started at the same moment (two
    runs, two test workers) must not collide. Over TCP two managers can pick the same free port
    before either kernel binds it; jupyter_client's own IPC default, ``kernel-ipc-<n>`` in the
    working directory, collides the same way (both managers see no ``-1`` file and take it).
    The tests start their kernels with this class too.
    """

    kernel_env = dict(env) if env is not None else None

    class LocalKernelManager(AsyncKernelManager):
        # IPC sockets exist on POSIX only; Windows keeps TCP on localhost
        transport = CaselessStrEnum(
            ["tcp", "ipc"], default_value="ipc" if os.name == "posix" else "tcp"
        )
        _private_dir = ""

        @default("connection_file")
        def _connection_file_in_a_private_dir(self) -> str:
            if self.transport != "ipc":
                return ""  # jupyter_client's default: a temporary file, free TCP ports
            self._private_dir = tempfile.mkdtemp(prefix="inkorg-kernel-")
            # the sockets are named after it: <dir>/kernel-ipc-<n>
            return os.path.join(self._private_dir, "kernel.json")

        async def _async_pre_start_kernel(self, **kw: Any) -> tuple[list[str], dict[str, Any]]:
            if kernel_env is not None and "env" not in kw:
                kw["env"] = dict(kernel_env)  # kept in the launch arguments for a restart
            return await super()._async_pre_start_kernel(**kw)

        def cleanup_ipc_files(self) -> None:
            super().cleanup_ipc_files()
            if self._private_dir and not os.path.exists(self.connection_file):  # not a restart
                shutil.rmtree(self._private_dir, ignore_errors=True)

    return LocalKernelManager
