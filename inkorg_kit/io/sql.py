"""Reading an SQL query into polars (SQLAlchemy: SQLite, PostgreSQL, SQL Server …) without
ever showing a password.

Why apart: a database URL may hold a password, and drivers repeat it in their errors. The URL
can come from an environment variable (never a notebook parameter), and every message shows
it through :func:`inkorg_kit.privacy.redact_secrets` with the URL's own secrets
(:func:`~inkorg_kit.privacy.secrets_in_url`) hidden too. SQLAlchemy is imported only when a
query runs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from inkorg_kit.io.messages import InputError, first_line, quoted_names, scrub
from inkorg_kit.io.plan import clean_names, pnr_as_text
from inkorg_kit.privacy import redact_secrets, secrets_in_url

__all__ = ["read_sql"]


def read_sql(
    url: str | None = None,
    query: str | None = None,
    *,
    url_env: str | None = None,
    pnr_column: str | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> pl.DataFrame:
    """Run ``query`` against the database at ``url`` (SQLAlchemy) and return a polars frame.

    Works the same for ``sqlite:///file.db``, ``postgresql://…`` and ``mssql+pyodbc://…``.
    Give ``url_env="NAME"`` to take the URL from an environment variable, so that a password
    never sits in notebook parameters. Errors show the URL with its password hidden. The
    personnummer column (``pnr_column``, or an integer column named like one) comes back as
    text; bind values with ``parameters`` (``:name`` in the query) rather than pasting them in.
    """
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if url is not None and url_env is not None:
        raise ValueError("pass either url=... or url_env='NAME', not both")
    source = f"${url_env}" if url_env is not None else "the database URL"
    if url_env is not None:
        url = os.environ.get(url_env)
        if not url:
            raise InputError(
                f"Cannot read from the database: the environment variable {url_env} is not set "
                f"or empty. Set it to the database URL (e.g. export {url_env}="
                "'postgresql://user:password@host/db') before starting Jupyter or papermill.",
                path=source,
            )
    if not url:
        raise ValueError("pass url='sqlite:///file.db' (or another URL) or url_env='NAME'")
    if not query or not str(query).strip():
        raise ValueError("pass query='SELECT …' : the SQL that returns the target group")
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InputError(
            f"Cannot read from the database: {source} is not a database URL. Write it as "
            "dialect+driver://user:password@host/database, e.g. sqlite:///target.db.",
            path=source,
        ) from None
    shown = redact_secrets(parsed.render_as_string(hide_password=True))
    secrets = [str(parsed.password or ""), *secrets_in_url(url)]

    def hide(text: str) -> str:
        return scrub(redact_secrets(text, *secrets))

    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        in_memory = database in ("", ":memory:") or database.startswith("file:")
        if not in_memory and not Path(database).is_file():
            raise InputError(
                f"Cannot read from '{shown}': the SQLite file '{database}' does not exist "
                f"(working folder: {Path.cwd()}). Check the path after sqlite:///.",
                path=shown,
            )
    try:
        engine = create_engine(parsed, hide_parameters=True)
    except ImportError as exc:
        raise InputError(
            f"Cannot read from '{shown}': the database driver '{exc.name}' is not installed. "
            f"Install it in this environment (pip install {exc.name}) or ask IT to.",
            path=shown,
        ) from None
    except Exception as exc:  # any engine error must pass through hide()
        raise InputError(
            f"Cannot read from '{shown}': {hide(first_line(exc))}. Check the URL.", path=shown
        ) from None
    try:
        with engine.connect() as connection:
            options = {"parameters": dict(parameters)} if parameters else None
            frame = pl.read_database(query, connection, execute_options=options)
    except Exception as exc:  # driver errors vary; never let the URL leak
        raise InputError(
            f"Cannot read from '{shown}': the query failed ({hide(first_line(exc))}). "
            "Check the query and that the database is reachable.",
            path=shown,
        ) from None
    finally:
        engine.dispose()
    frame = frame.rename(dict(zip(frame.columns, clean_names(frame.columns), strict=True)))
    if pnr_column is not None and pnr_column not in frame.columns:
        raise InputError(
            f"Cannot read from '{shown}': the query returned no column '{pnr_column}'; it "
            f"returned columns {quoted_names(frame.columns)}. Name the column in the query "
            f"(… AS {pnr_column}) or pass pnr_column= one of those.",
            path=shown,
            column=pnr_column,
        )
    return pnr_as_text(frame, {pnr_column} if pnr_column else set())
