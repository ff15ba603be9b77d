"""Swedish personnummer and samordningsnummer over whole columns: the rulebook in code.

:mod:`~inkorg_kit.pnr.rules` reads and checks whole columns; :mod:`~inkorg_kit.pnr.text`
finds and masks numbers in free text.

Skatteverket's rules (SKV 704; DOMAIN.md "Personnummer in brief"):

* A personnummer is ``YYMMDD-NNNC`` (10 digits) or ``YYYYMMDD-NNNC`` (12 digits). ``NNN`` is
  the birth number (odd for men, even for women in its last digit; ``000`` is never issued)
  and ``C`` a Luhn check digit over the ten digits ``YYMMDDNNN``.
* In the 10-digit form the separator carries the century: ``-`` under 100 years of age, ``+``
  from 1 January of the year the person turns 100 (folkbokföringslagen 18 §). Without a
  separator we take the latest century that does not put the birth date after the reference
  date, as the separator ``-`` would.
* A samordningsnummer (coordination number) has the day of birth plus 60 (61-91).
  Skatteverket writes month ``00`` or day ``60`` (day ``00`` + 60) when the month or day of
  birth is unknown; those are valid.
* Healthcare reserve numbers (*reservnummer*, interim numbers) are not personnummer and cannot
  receive 1177 messages; they are reported as ``reserve_number`` so the analyst reaches those
  patients another way. Socialstyrelsen recommends a real birth date and at least one letter
  in the last four characters, and Inera's list of regional formats ("Lokala Reservidn")
  documents the shapes we recognise:

  - a letter among the last four characters: interim ``T``-numbers (``20000101-T220``),
    Västra Götaland ``yyyymmddGggC`` with G = K/M/X, Värmland ``yyyymmddABNC``, Region
    Skåne and the letter-bearing numbers of Cosmic and other journal systems;
  - Region Stockholm ``99yyyyNNNNNC``: twelve digits starting with ``99``;
  - Inera Carelink ``yyyymmxxNNNC`` with day ``xx`` 32-59, a day no real person has.

What :func:`clean` accepts: 12 digits with or without a hyphen; 10 digits with ``-``, ``+`` or
no separator; spaces anywhere (the Cosmic space inside the year, a space or no-break space as
separator); en/em dashes and minus signs as hyphens; full-width and other Unicode look-alike
digits (NFKC); a leading apostrophe (Excel's text marker); Excel's text form
``="199001012385"`` and a whole number saved as a float (``199001012385.0``); integers (Excel
drops leading zeros, so integers of 7-9 digits are left-padded to 10 when that gives a month
and a day). What it rejects, never guesses:
scientific notation, letters, wrong lengths, impossible or future dates, a bad check digit,
birth number 000, and the last value of a file that ends in the middle of it (``truncated``:
:mod:`inkorg_kit.io` marks it with :data:`TRUNCATED_MARK`).

Where we deliberately differ from python-stdnum and the personnummer/meta test suite (both
are cross-checked in the tests): a space as separator is accepted (meta rejects it; Cosmic and
Excel put it there); future birth dates and birth number 000 are rejected (stdnum accepts
them); samordningsnummer (day + 60) are accepted, with month ``00`` or day ``60`` where
Skatteverket did not know the month or day (stdnum rejects every samordningsnummer).

Examples use Skatteverket's published test numbers (no real resident has them):

>>> values = ["19900101-2385", "900101 2385", "１９９００１０１２３８５"]
>>> values += ["19900101-2386", "000101-T220"]
>>> result = clean(values, reference_date="2026-11-21")
>>> result["status"].to_list()
['ok', 'duplicate', 'duplicate', 'rejected', 'rejected']
>>> result["reason"].to_list()
[None, 'duplicate', 'duplicate', 'bad_checksum', 'reserve_number']
>>> mask(result["pnr"][0])
'19900101-****'
>>> clean(["090527+9816", "0905279816"], reference_date="2026-11-21")["pnr"].to_list()
['19090527-9816', '20090527-9816']
"""

from __future__ import annotations

from inkorg_kit.pnr.rules import (
    KIND,
    KINDS,
    MASK,
    REASON,
    REASON_LABELS,
    REASONS,
    REJECT_REASONS,
    STATUS,
    STATUSES,
    TRUNCATED_MARK,
    age_at,
    as_date,
    as_text,
    birth_date,
    clean,
    is_valid,
    legal_sex,
    mask,
    normalise,
    summary,
)
from inkorg_kit.pnr.text import find_in_text, mask_in_text, mask_in_texts

__all__ = [
    "KIND",
    "KINDS",
    "MASK",
    "REASON",
    "REASONS",
    "REASON_LABELS",
    "REJECT_REASONS",
    "STATUS",
    "STATUSES",
    "TRUNCATED_MARK",
    "age_at",
    "as_date",
    "as_text",
    "birth_date",
    "clean",
    "find_in_text",
    "is_valid",
    "legal_sex",
    "mask",
    "mask_in_text",
    "mask_in_texts",
    "normalise",
    "summary",
]
