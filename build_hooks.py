"""Setuptools hook: a built wheel carries the repository's notebooks and default params.

Why: ``inkorg-kit run``, ``report`` and ``demo`` execute the notebooks in ``notebooks/`` and
the demo reads ``params/``; the repository keeps both at its top level (where JupyterLab and
papermill use them), outside the package. At build time they are copied into the package as
``inkorg_kit/_bundled/notebooks/`` and ``inkorg_kit/_bundled/params/``, where
``inkorg_kit.cli.runner.kit_folder`` finds them in an installed wheel. An editable install
copies nothing: it reads the checkout's folders. A build that finds no notebook stops (a wheel
without them could run nothing).
"""

from __future__ import annotations

from pathlib import Path

from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
#: folder at the top of the repository → the files of it the wheel carries
BUNDLED = {"notebooks": ("*.ipynb",), "params": ("*.yaml", "*/*.yaml")}
TARGET = ("inkorg_kit", "_bundled")


class BuildPy(build_py):
    """``build_py`` that also copies :data:`BUNDLED` into the built package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for folder, patterns in BUNDLED.items():
            files = sorted({p for pattern in patterns for p in (ROOT / folder).glob(pattern)})
            if not files:
                raise SystemExit(f"build_hooks: no {'/'.join(patterns)} in {ROOT / folder}")
            for source in files:
                target = Path(self.build_lib, *TARGET, folder, source.relative_to(ROOT / folder))
                self.mkpath(str(target.parent))
                self.copy_file(str(source), str(target))
