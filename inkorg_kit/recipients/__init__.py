"""Recipient files for Personalverktyget: ≤250 personnummer per file, a manifest, an encrypted 7z.

Why: the case handler imports each file with "Importera från fil", which takes at most 250
personnummer, one ``YYYYMMDD-NNNN`` per line (seed 004). The files are delivered in a 7-Zip
archive with AES-256 and hidden file names, and kept in a locked folder. A resident must get the
message once: never twice (a number in two files) and never half a file.

The steps, each one call (notebook 02):

* :func:`prepare` reads and cleans a list (``reading``); :func:`input_path` finds notebook 01's
  target group in the run folder, and :func:`with_target_funnel` carries its funnel into the
  counts (``funnel``), so the manifest accounts for every row of the original extract;
* :func:`sendable` checks the campaign against the guidelines (from
  :mod:`inkorg_kit.guidelines`);
* :func:`split` cuts the ``ok`` rows into parts of at most ``part_size`` (``splitting``);
* :func:`write` writes one file per part and, last, the manifest (``writing``, ``manifest``);
* :func:`package` puts them into ``<run_dir>/<campaign>_recipients.7z`` (``archive``);
* :func:`verify` re-reads everything (``verification``).

Re-running with the same input gives byte-identical import files and manifest (an override of
the guideline check is recorded once in the run folder and reused, with its time). The 7z
archive itself differs on every run (a random salt and IV for AES, and the members' times), so
compare an archive by its members: :func:`verify` decrypts it and checks each member's SHA-256
against the run folder.
"""

from inkorg_kit.errors import PasswordError, VerificationError
from inkorg_kit.guidelines import sendable
from inkorg_kit.recipients.archive import (
    DEFAULT_PASSWORD_ENV,
    MIN_PASSWORD_LENGTH,
    archive_password,
    package,
)
from inkorg_kit.recipients.funnel import STEP_LABELS, funnel_frame, with_target_funnel
from inkorg_kit.recipients.lines import (
    MANIFEST_CSV,
    MANIFEST_JSON,
    OVERRIDE_FILE,
    RECIPIENT_DIR,
    STAGING_PREFIX,
    TARGET_FILE,
    TARGET_FUNNEL_FILE,
    archive_path,
)
from inkorg_kit.recipients.manifest import MANIFEST_VERSION, read_manifest
from inkorg_kit.recipients.reading import input_path, prepare
from inkorg_kit.recipients.splitting import (
    ORDER_CHOICES,
    Parts,
    effective_part_size,
    file_name,
    split,
)
from inkorg_kit.recipients.verification import Verification, verify
from inkorg_kit.recipients.writing import Delivery, write
from inkorg_kit.vocab import MAX_PART_SIZE, slug

__all__ = [
    "DEFAULT_PASSWORD_ENV",
    "MANIFEST_CSV",
    "MANIFEST_JSON",
    "MANIFEST_VERSION",
    "MAX_PART_SIZE",
    "MIN_PASSWORD_LENGTH",
    "ORDER_CHOICES",
    "OVERRIDE_FILE",
    "RECIPIENT_DIR",
    "STAGING_PREFIX",
    "STEP_LABELS",
    "TARGET_FILE",
    "TARGET_FUNNEL_FILE",
    "Delivery",
    "Parts",
    "PasswordError",
    "Verification",
    "VerificationError",
    "archive_password",
    "archive_path",
    "effective_part_size",
    "file_name",
    "funnel_frame",
    "input_path",
    "package",
    "prepare",
    "read_manifest",
    "sendable",
    "slug",
    "split",
    "verify",
    "with_target_funnel",
    "write",
]
