"""A run folder, ``out/<campaign>/``: artefacts by key, never by a spelt file name.

Why: each step reads what earlier steps wrote; a reader that guesses a file name or a key
breaks silently when a writer changes. :class:`RunFolder` resolves keys from
:data:`~inkorg_kit.run.artefacts.ARTEFACTS` and says which step to run when something is
missing.
"""

from __future__ import annotations

import os
from pathlib import Path

from inkorg_kit.errors import RunFolderError
from inkorg_kit.run.artefacts import ARTEFACTS, Artefact

__all__ = ["RunFolder"]


class RunFolder:
    """The run folder at ``root`` for the campaign named ``campaign`` (needed only for the
    artefacts whose path holds the campaign name)."""

    def __init__(self, root: str | os.PathLike[str], campaign: str | None = None) -> None:
        self.root = Path(root)
        self.campaign = campaign

    def __repr__(self) -> str:
        return f"RunFolder({str(self.root)!r}, campaign={self.campaign!r})"

    def artefact(self, key: str) -> Artefact:
        """The artefact ``key``; an unknown key lists the known ones."""
        try:
            return ARTEFACTS[key]
        except KeyError:
            raise KeyError(f"no artefact {key!r}; known: {', '.join(sorted(ARTEFACTS))}") from None

    def path(self, key: str, *, handler: str | None = None) -> Path:
        """Where artefact ``key`` lives in this run folder."""
        artefact = self.artefact(key)
        fields: dict[str, str] = {}
        if "{campaign}" in artefact.path:
            if not self.campaign:
                raise ValueError(f"{key}: the path names the campaign; give RunFolder(campaign=)")
            fields["campaign"] = self.campaign
        if "{handler}" in artefact.path:
            if not handler:
                raise ValueError(f"{key}: the path names a handler; give handler=")
            fields["handler"] = handler
        return self.root / artefact.path.rstrip("/").format(**fields)

    def exists(self, key: str, **fields: str) -> bool:
        return self.path(key, **fields).exists()

    def require(self, key: str, **fields: str) -> Path:
        """The path of ``key``, which an earlier step must have written; else a clear error."""
        path = self.path(key, **fields)
        if not path.exists():
            artefact = self.artefact(key)
            by = f"step {artefact.step}" if artefact.step else "the export from Personalverktyget"
            raise RunFolderError(
                f"{path} is missing: {artefact.description} comes from {by}; run that first"
                f" (run folder {self.root})"
            )
        return path
