"""``inkorg-kit init FOLDER``: a new campaign's folder, and ``inkorg-kit schema``.

Why: an analyst's own campaign starts in a folder of its own, away from the kit (which may be
an installed wheel): a ``campaign.yaml`` with every key present or commented, each with its
meaning, default and example (generated from the typed models, so it cannot drift:
:func:`inkorg_kit.config.reference.campaign_template`), and a short ``LÄSMIG.md`` saying what to
do next. Nothing is ever written over: a folder that already has either file is refused.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from inkorg_kit._files import ensure_private_dir
from inkorg_kit.config.reference import campaign_template, reference_markdown
from inkorg_kit.errors import UsageError
from inkorg_kit.privacy import find_in_text
from inkorg_kit.vocab import PASSWORD_ENV, RUNS_DIR, is_name

__all__ = ["CAMPAIGN_FILE", "README_FILE", "InitResult", "init_campaign", "readme_text", "schema"]

CAMPAIGN_FILE = "campaign.yaml"
README_FILE = "LÄSMIG.md"
_NAME_LINE = re.compile(r"^name: .*$", re.M)

EXISTS = (
    "{files} finns redan i {folder}: inget skrevs (init skriver aldrig över en kampanj)."
    " Välj en ny mapp, t.ex. `inkorg-kit init min-kampanj-2`, eller ta bort filen först."
)

README = """\
# Kampanjen i `{folder}`

Mappen skrevs av `inkorg-kit init`. Så här går du vidare:

1. **Fyll i `campaign.yaml`.** Varje nyckel står där med vad den betyder, standardvärdet och
   ett exempel. Nycklar som inte är bortkommenterade har ett exempelvärde: byt det mot
   kampanjens. En text som ännu inte är bestämd kan stå som `null`; kontrollen (steg 00)
   påminner om den tills den är ifylld. `inkorg-kit schema` förklarar alla nycklar.
2. **Lägg uttaget bredvid `campaign.yaml`** (t.ex. `uttag.xlsx` från journalsystemet) och skriv
   filnamnet i `target.source`. Alla sökvägar i `campaign.yaml` räknas från den här mappen.
   Rubrikraden hittas under eventuella titelrader och svenska kolumnnamn känns igen; heter
   kolumnerna något annat anger du dem med `target.pnr_column`, `target.unit_column`,
   `target.diagnosis_column`, `target.contact_date_column` (och `target.header_row`: raden
   med kolumnnamnen, som Excel numrerar den).
3. **Kör steg 00 → 03** (kontroll, målgrupp, mottagarfiler, räckvidd och sändplan):

   ```sh
   cd {folder}
   inkorg-kit run {campaign}
   ```

   Lösenordet till mottagararkivet (7z) frågas efter, eller läses ur miljövariabeln
   `{password_env}`. Allt skrivs i `{runs}/{name}/` under mappen du står i (här alltså
   `{folder}/{runs}/{name}/`): `campaign_check.md`, målgruppens tratt, arkivet med
   mottagarfilerna och sändplanen.
4. **Arbeta i JupyterLab:** `inkorg-kit lab {campaign}` öppnar notebookarna med den här
   kampanjen förvald.
5. **Efter utskicket:** lägg statusexporten från Personalverktyget i
   `{runs}/{name}/status_export/` och kör
   `inkorg-kit run {campaign} --steps 04_read_rates_followup` för uppföljningen och rapporten
   till beställaren.

**Personuppgifter:** uttaget och `{runs}/` innehåller personnummer. Håll mappen på en skyddad
plats och dela den inte; `inkorg-kit purge` visar (och med `--yes` tar bort) det som har passerat
sin gallringstid.
"""


@dataclass(frozen=True)
class InitResult:
    folder: Path
    campaign: Path
    readme: Path
    name: str | None  #: the campaign's name, when the folder's name could be it


def readme_text(folder: Path, name: str | None) -> str:
    """The ``LÄSMIG.md`` of a campaign folder (Swedish: what to do next)."""
    return README.format(
        folder=folder.as_posix(),
        campaign=CAMPAIGN_FILE,
        password_env=PASSWORD_ENV,
        runs=RUNS_DIR,
        name=name or "<name>",
    )


def init_campaign(folder: str | os.PathLike[str]) -> InitResult:
    """Write ``campaign.yaml`` (the template, open questions ``null``) and ``LÄSMIG.md`` into
    ``folder``, made owner-only if it is new (the extract goes there); refuse, writing nothing,
    if either file exists. The campaign's ``name`` is the folder's name when that is a valid
    name (``influensa-2027``), else the template's example."""
    folder = Path(folder)
    campaign, readme = folder / CAMPAIGN_FILE, folder / README_FILE
    existing = [p.name for p in (campaign, readme) if os.path.lexists(p)]
    if existing:
        raise UsageError(EXISTS.format(files=" och ".join(existing), folder=folder))
    if os.path.lexists(folder) and not folder.is_dir():
        raise UsageError(f"{folder} finns redan och är ingen mapp: välj ett annat namn.")
    ensure_private_dir(folder)
    name = _name(folder.resolve().name)
    text = campaign_template(undecided=True)
    if name is not None:
        text = _NAME_LINE.sub(f"name: {name}", text, count=1)
    _write_new(campaign, text)
    try:
        _write_new(readme, readme_text(folder, name))
    except UsageError:  # pragma: no cover - made between the check and now
        campaign.unlink()
        raise
    return InitResult(folder, campaign, readme, name)


def _name(folder_name: str) -> str | None:
    """The folder's name as the campaign's, if it is a valid one and names no person."""
    return folder_name if is_name(folder_name) and not find_in_text(folder_name) else None


def _write_new(path: Path, text: str) -> None:
    try:
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError:
        raise UsageError(EXISTS.format(files=path.name, folder=path.parent)) from None


def schema() -> str:
    """Every campaign key, generated from the models (what ``inkorg-kit schema`` prints)."""
    return reference_markdown()
