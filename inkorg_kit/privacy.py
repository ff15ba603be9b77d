"""Privacy in text: masking personnummer wherever they stand, and hiding secrets.

Why one place: every message, log line, exception and report that leaves the kit passes
through here. :func:`mask_in_text` / :func:`find_in_text` find personnummer in every shape
:func:`inkorg_kit.pnr.clean` reads, whatever stands around them (letters, a float's ``.0``,
scientific notation, a comma and a second number, quotes, JSON, escapes), and numbers with a
wrong check digit; they live with the rulebook in ``pnr``, which they need, and the rules of
what is and is not taken for a number are written there. :func:`redact_secrets` hides database
passwords in URLs and driver errors.

>>> mask_in_text("pnr199001012385, Läst 199001012385.0, 1.99001012385e+11")
'pnr19900101****, Läst 19900101****.0, 1.9900101****e+**'
"""

from __future__ import annotations

import re

from inkorg_kit.pnr import find_in_text, mask, mask_in_text, mask_in_texts

__all__ = [
    "find_in_text",
    "mask",
    "mask_in_text",
    "mask_in_texts",
    "redact_secrets",
    "secrets_in_url",
]

# A password in a URL: ``user:password@`` and password-like parameters in any spelling a driver
# takes (``?password=``, ``;PWD=`` in an ODBC connection string, ``%3D``/``%3B`` when encoded).
_USERINFO_PASSWORD = re.compile(r"(\w[\w+.-]*://[^:/@\s'\"]*:)[^@\s'\"]+@")
_SECRET_PARAMETER = re.compile(
    r"(?i)(?:(?<![a-z0-9_])|(?<=%3b)|(?<=%26))((?:password|passwd|passphrase|pwd|pass|secret|token"
    r"|api[_-]?key|access[_-]?key)\s*(?:=|%3d))(\{[^}]*\}?|(?:(?!%3b|%26)[^&;\r\n'\"])*)"
)


def redact_secrets(text: str, *secrets: str) -> str:
    """``text`` with database passwords replaced by ``***``: the ``user:password@`` part of a
    URL, password-like parameters (``password=``, ``pwd=``, ``PWD=``, ``token=`` …, also URL
    encoded), and every one of ``secrets`` wherever it stands.

    >>> redact_secrets("mssql+pyodbc:///?odbc_connect=DSN%3Dvard%3BUID%3Dan%3BPWD%3Dx1%3B")
    'mssql+pyodbc:///?odbc_connect=DSN%3Dvard%3BUID%3Dan%3BPWD%3D***%3B'
    >>> redact_secrets("postgresql://an:hemligt@db/vard?sslmode=require&password=x2")
    'postgresql://an:***@db/vard?sslmode=require&password=***'
    """
    for secret in sorted({s for s in secrets if s and len(s) >= 2}, key=len, reverse=True):
        text = text.replace(secret, "***")
    text = _USERINFO_PASSWORD.sub(r"\1***@", text)
    return _SECRET_PARAMETER.sub(lambda m: m.group(1) + ("***" if m.group(2) else ""), text)


def secrets_in_url(url: str) -> list[str]:
    """The password values a URL holds, raw and URL-decoded (to hide them in driver errors)."""
    from urllib.parse import unquote, unquote_plus

    found = [m.group(0).rsplit(":", 1)[1][:-1] for m in _USERINFO_PASSWORD.finditer(url)]
    for text in (url, unquote(url), unquote(unquote(url))):
        found += [m.group(2).strip("{}") for m in _SECRET_PARAMETER.finditer(text)]
    return [value for raw in found for value in {raw, unquote(raw), unquote_plus(raw)} if value]
