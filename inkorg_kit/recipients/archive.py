"""The encrypted archive: the import files and the manifest in a 7-Zip file with AES-256 and
encrypted headers, and the password it is locked with.

Why: the files leave the locked folder (by e-mail or a share) as one archive whose member names
are hidden without the password (seed 004). The password comes from an environment variable
(:data:`inkorg_kit.vocab.PASSWORD_ENV` by default) or a prompt, on a terminal or in JupyterLab,
never from a parameter (papermill writes every parameter into the executed notebook), and is
never printed. A new password is typed twice and must be at least 12 characters. The archive
differs on every run (a random salt and IV, the members' times), so compare it by its members
(:func:`~inkorg_kit.recipients.verify` does).
"""

from __future__ import annotations

import getpass
import os
import re
import sys
from pathlib import Path

from inkorg_kit._files import atomic_private_path
from inkorg_kit.errors import InkorgError, PasswordError, RunFolderError
from inkorg_kit.pnr import mask_in_text
from inkorg_kit.recipients.lines import (
    LINE_BYTES,
    MANIFEST_CSV,
    MANIFEST_JSON,
    archive_path,
    sha256,
)
from inkorg_kit.recipients.manifest import members, read_manifest
from inkorg_kit.run import RunFolder
from inkorg_kit.vocab import PASSWORD_ENV

__all__ = [
    "DEFAULT_PASSWORD_ENV",
    "MIN_PASSWORD_LENGTH",
    "archive_password",
    "ask_password",
    "package",
]

#: The environment variable that holds the archive password unless another is named.
DEFAULT_PASSWORD_ENV = PASSWORD_ENV
#: Shortest archive password accepted: the archive leaves the locked folder by e-mail or share.
MIN_PASSWORD_LENGTH = 12
# LZMA2 level: 1 packs sorted numbers to about a fifth, five times faster than level 7 (a million
# numbers: ~6 s instead of ~30 s), and the archive stays small enough to send.
_LZMA_PRESET = 1


def _in_kernel() -> bool:
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return getattr(shell, "kernel", None) is not None


def ask_password(password_env: str, *, confirm: bool) -> str | None:
    """Prompt on a terminal or in a Jupyter kernel that takes input; None when neither can.

    A new password is typed twice (a typo would lock the case handler out of the archive).
    """
    can_tty = sys.stdin is not None and hasattr(sys.stdin, "isatty") and sys.stdin.isatty()
    if not (can_tty or _in_kernel()):
        return None
    try:
        first = getpass.getpass(f"Lösenord för 7z-arkivet ({password_env} är inte satt): ")
        again = getpass.getpass("Samma lösenord igen: ") if confirm and first else first
    except (EOFError, OSError):
        return None
    except Exception as exc:  # ipykernel without stdin (papermill): StdinNotImplementedError
        if type(exc).__name__ == "StdinNotImplementedError":
            return None
        raise
    if first != again:
        raise PasswordError("the two passwords typed differ; nothing was written, try again")
    return first


def archive_password(password_env: str, *, prompt: bool, new: bool = True) -> str:
    """The archive password from ``password_env`` or a prompt; ``new``: for a new archive
    (asked twice, at least 12 characters), else to open one (asked once)."""
    if not isinstance(password_env, str) or not re.fullmatch(
        r"[A-Za-z_][A-Za-z0-9_]*", password_env
    ):
        raise ValueError(
            f"password_env={password_env!r} must be the NAME of an environment variable"
            f" (e.g. {DEFAULT_PASSWORD_ENV!r}), not the password itself"
        )
    value = os.environ.get(password_env) or None
    if value is None and prompt:
        value = ask_password(password_env, confirm=new)
    if not value or not value.strip():
        how = "no prompt is possible here" if prompt else "prompting is off"
        raise PasswordError(
            f"no archive password: the environment variable {password_env} is not set (or empty)"
            f" and {how}. Set it before starting Jupyter or papermill, e.g."
            f" `read -rs {password_env} && export {password_env}` in the shell. The password is"
            " never taken from a notebook parameter."
        )
    if new and len(value) < MIN_PASSWORD_LENGTH:
        raise PasswordError(
            f"the archive password in {password_env} is shorter than {MIN_PASSWORD_LENGTH}"
            f" characters; choose a longer one (e.g. four random words)"
        )
    return value


def package(
    run_dir: str | os.PathLike[str],
    *,
    password_env: str = DEFAULT_PASSWORD_ENV,
    prompt: bool = True,
) -> Path:
    """Put the import files and the manifest into an AES-256 7z with encrypted headers.

    The password is read from the environment variable ``password_env``; if it is unset and
    ``prompt`` is true, it is asked for (twice) on a terminal or in JupyterLab. Under papermill
    there is no prompt: set the variable. At least 12 characters. Every file is checked against
    the manifest before it goes in. The archive is written to a temporary ``.part`` file and
    renamed into place; one left by a packaging that was killed is removed first. Returns
    ``<run_dir>/<campaign>_recipients.7z`` (mode 0600).
    """
    import py7zr  # heavy (~0.1 s, cryptography): loaded only when an archive is made

    root = Path(run_dir)
    try:
        manifest = read_manifest(root)
    except RunFolderError:
        raise
    except InkorgError as exc:  # not JSON, or not what step 02 writes (named in exc)
        raise InkorgError(
            f"{RunFolder(root).path('manifest_json')} cannot be used:"
            f" {mask_in_text(str(exc))}; run recipients.write again"
        ) from None
    password = archive_password(password_env, prompt=prompt)
    folder = RunFolder(root).path("recipients_dir")
    payload: list[tuple[str, bytes]] = []
    for f, member in zip(manifest["files"], members(manifest), strict=False):
        path = folder / f["file_name"]
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise FileNotFoundError(
                f"{path} is listed in the manifest but missing; run recipients.write again"
            ) from None
        if sha256(data) != f["sha256"] or len(data) != LINE_BYTES * f["rows"]:
            raise ValueError(
                f"{path} differs from the manifest (SHA-256 or size); it was changed after"
                " writing: run recipients.write again"
            )
        payload.append((member, data))
    for name in (MANIFEST_CSV, MANIFEST_JSON):
        payload.append((f"{manifest['campaign']}/{name}", (folder / name).read_bytes()))

    target = archive_path(root, manifest["campaign"])
    # half an archive from a packaging that was killed (verify flags it): not left beside
    for stale in target.parent.glob(f".{target.name}.*.part"):
        stale.unlink(missing_ok=True)
    filters = [
        {"id": py7zr.FILTER_LZMA2, "preset": _LZMA_PRESET},
        {"id": py7zr.FILTER_CRYPTO_AES256_SHA256},
    ]
    with atomic_private_path(target) as tmp:
        with py7zr.SevenZipFile(
            tmp, "w", password=password, header_encryption=True, filters=filters
        ) as archive:
            for member, data in payload:
                archive.writestr(data, member)
        with py7zr.SevenZipFile(tmp, "r", password=password) as archive:
            names = archive.getnames()
        expected = [m for m, _ in payload]
        if not set(expected) <= set(names):
            raise RuntimeError(f"{target}: the archive written does not list every file")
    return target
