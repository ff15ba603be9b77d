"""A notebook's parameters: a name it does not declare stops it, and an empty ``campaign_file``
means the campaign JupyterLab was started with.

Why: papermill only warns about a parameter the notebook does not declare and runs on with the
defaults, so ``papermill … -p campaign my.yaml`` (for ``campaign_file``) ran the *demo*
campaign. Each notebook's first cell after its parameters calls :func:`check`, which compares
the names papermill injected with those the parameters cell declares and stops, naming the
unknown ones and the allowed ones. And in JupyterLab nobody edits a parameters cell: an empty
``campaign_file`` is the campaign ``inkorg-kit lab`` was started with (the environment variable
:data:`CAMPAIGN_ENV`), else the demo (:func:`campaign_file`). ``inkorg-kit run`` and papermill
always pass ``campaign_file`` explicitly.

>>> check({"_ih": ["", 'campaign_file = ""  # c', '# Parameters\\ncampaign_file = "a.yaml"\\n',
...        "check(...)"]}, "00_campaign_check")
>>> check({"_ih": ["", 'campaign_file = ""  # c', '# Parameters\\ncampaign = "a.yaml"\\n',
...        "check(...)"]}, "00_campaign_check")  # doctest: +ELLIPSIS
Traceback (most recent call last):
inkorg_kit.errors.ParameterError: notebook 00_campaign_check har ingen parameter 'campaign' ...
"""

from __future__ import annotations

import ast
import difflib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from inkorg_kit.errors import ParameterError
from inkorg_kit.privacy import mask_in_text

__all__ = [
    "CAMPAIGN_ENV",
    "DEMO_CAMPAIGNS",
    "INJECTED_MARK",
    "assigned_names",
    "campaign_file",
    "check",
    "unknown_parameters_message",
]

#: The environment variable ``inkorg-kit lab`` sets to the campaign file it was started with;
#: a notebook whose ``campaign_file`` is empty loads that campaign.
CAMPAIGN_ENV = "INKORG_CAMPAIGN_FILE"
#: The campaign an empty ``campaign_file`` means outside ``inkorg-kit lab``: the demo's, relative
#: to the kernel's working folder: the repository's (``make lab`` starts its kernels in the
#: repository root), else the copy ``inkorg-kit demo`` writes beside its region. The first that
#: exists; none: the first (its error names it).
DEMO_CAMPAIGNS = ("params/demo/campaign.yaml", "out/demo/campaign.yaml")
#: How papermill's injected-parameters cell begins (its Python translator's comment).
INJECTED_MARK = "# Parameters"

UNKNOWN_PARAMETERS = (
    "{where} har ingen parameter {names}{guess}. Tillåtna parametrar: {allowed}. {after}"
)
NOTEBOOK_STOPPED = (
    "Notebooken stoppades innan den läste något: rätta namnet (papermill -p NAMN VÄRDE) och kör"
    " igen."
)


def assigned_names(source: str) -> list[str] | None:
    """The names a cell of plain assignments sets, in order; None when the cell is anything
    else (a statement that is not an assignment to a name, or not Python).

    >>> assigned_names('a = 1  # one\\nb = "x"  # two')
    ['a', 'b']
    >>> assigned_names("import os") is None
    True
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    names: list[str] = []
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, ast.AnnAssign):
            targets = [statement.target]
        else:
            return None
        for target in targets:
            if not isinstance(target, ast.Name):
                return None
            if target.id not in names:
                names.append(target.id)
    return names


def unknown_parameters_message(
    where: str, unknown: Sequence[str], allowed: Sequence[str], after: str
) -> str:
    """The one message for parameters a notebook does not declare (the notebook's check and
    ``inkorg-kit run`` say the same): the unknown names, a close allowed name if there is one,
    every allowed name, and ``after`` (what happened and what to do). Masked."""
    guesses = [
        match
        for name in unknown
        for match in difflib.get_close_matches(name, allowed, n=1, cutoff=0.5)
    ]
    guess = f" (menade du {', '.join(dict.fromkeys(guesses))}?)" if guesses else ""
    text = UNKNOWN_PARAMETERS.format(
        where=where,
        names=", ".join(repr(name) for name in unknown),
        guess=guess,
        allowed=", ".join(allowed) or "(inga)",
        after=after,
    )
    return mask_in_text(text)


def check(namespace: Mapping[str, object], step: str) -> None:
    """Raise :class:`~inkorg_kit.errors.ParameterError` when papermill injected a parameter
    that this notebook's parameters cell does not declare; name it, a close allowed name, and
    the allowed ones.

    Call it as ``parameters.check(globals(), "<step>")`` in the first cell after the
    parameters. The names come from the kernel's input history (``_ih``): under papermill the
    cell before the current one is the injected-parameters cell (it begins ``# Parameters``),
    and the one before that is the notebook's own parameters cell. When nothing was injected
    (JupyterLab, or papermill without ``-p``) there is nothing to check.
    """
    history = namespace.get("_ih")
    if not isinstance(history, Sequence) or isinstance(history, str) or len(history) < 3:
        return
    injected_source, parameters_source = str(history[-2]), str(history[-3])
    if not injected_source.lstrip().startswith(INJECTED_MARK):
        return
    injected = assigned_names(injected_source)
    declared = assigned_names(parameters_source)
    if injected is None or declared is None:
        return
    unknown = [name for name in injected if name not in declared]
    if unknown:
        raise ParameterError(
            unknown_parameters_message(f"notebook {step}", unknown, declared, NOTEBOOK_STOPPED)
        )


def campaign_file(value: str | os.PathLike[str] = "") -> Path:
    """The campaign file a notebook loads: ``value`` when given; when empty, the campaign
    ``inkorg-kit lab`` was started with (:data:`CAMPAIGN_ENV`), else the demo's
    (:data:`DEMO_CAMPAIGNS`).

    >>> campaign_file("min/kampanj.yaml").as_posix()
    'min/kampanj.yaml'
    """
    given = os.fspath(value).strip() if value else ""
    if given:
        return Path(given)
    preset = os.environ.get(CAMPAIGN_ENV, "").strip()
    if preset:
        return Path(preset)
    demos = [Path(demo) for demo in DEMO_CAMPAIGNS]
    return next((demo for demo in demos if demo.is_file()), demos[0])
