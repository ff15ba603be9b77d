"""Reach: who can be reached in the 1177 inbox, who is notified, and when they read.

Why: a message reaches a resident only if they have an active 1177 login (account not
locked); they learn of it at once only if they switched notifications (SMS, e-mail) on; the
rest must be reached another way, at once (no login) or after a follow-up deadline (unread).
Planners need the expected counts *with honest intervals* before they send.

The model, per stratum (age band x legal sex), for each simulation draw:

1. ``p_login`` ~ Beta prior of the band (``login_share``), messageable ~ Binomial(n, p_login);
2. ``p_notif`` ~ Beta (``notification_share``), notified ~ Binomial(messageable, p_notif);
3. time to read, separately for notified and not notified: a share ``read_share`` ~ Beta reads
   at all; of those, ``soon_share`` ~ Beta read with a log-normal time (``soon_median_hours``,
   ``soon_sigma``), the rest with a slower log-normal (``later_*``). Reads by each horizon are
   Binomial draws from the analytic CDF, drawn in sequence so that each draw is monotone.

So the interval reflects both chance (binomial) and doubt about the assumptions (Beta). A
prior ``{mean: m, strength: s}`` is Beta(m*s, (1-m)*s): ``s`` is a pseudo-count, the number
of observed people the assumption is worth. Band priors are independent of each other (no
shared "regional level"); a follow-up fit with its own strengths narrows them.

Time is *active time*: calendar hours weighted by a daily rhythm (people read in waking
hours, less at weekends), normalised so that a week of calendar time is a week of active
time. :func:`simulate` counts each horizon from each person's own message: in active hours
unless ``sent_at`` (one send time) or ``sends`` (the send plan) gives calendar time.
:func:`read_curve` is the campaign-level view, always in calendar time from the first send.

The follow-up deadline ("another channel after the follow-up") is, when a send time is known
and ``follow_up_working_hours`` is given, that many working hours of the campaign's send
windows after each message (:func:`inkorg_kit.schedule.add_working_hours`), the same rule as
the follow-up step; otherwise the assumptions' ``follow_up_after_hours`` clock hours.

The time-to-read priors are shared by all bands unless a band has its own ``time_to_read``.
Every default lives in ``params/reach_defaults.yaml`` with a ``source:`` line.

>>> result = simulate(pl.DataFrame({"age_band": ["65-74"], "n": [1000]}), draws=200)
>>> result.summary["measure"].cast(pl.String).to_list()[:4]
['target', 'messageable', 'notified', 'read_1h']
>>> round(result.summary.filter(pl.col("measure") == "messageable")["expected"].item())
800
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from scipy.special import ndtr

from inkorg_kit import schedule
from inkorg_kit._files import write_private_text
from inkorg_kit.errors import AssumptionsError, TargetError
from inkorg_kit.hours.clock import ActiveClock, as_datetime, epoch_hours

AGE_BANDS = ("0-15", "16-29", "30-44", "45-64", "65-74", "75-84", "85+")
AGE_BAND = pl.Enum(AGE_BANDS)
UNKNOWN_BAND = "okänd"
BAND_OR_UNKNOWN = pl.Enum((*AGE_BANDS, UNKNOWN_BAND))
SEXES = ("F", "M")
SEX = pl.Enum(SEXES)
FORMAT_VERSION = 1
DEFAULTS_PATH = Path(__file__).resolve().parents[1] / "params" / "reach_defaults.yaml"
_PACKAGED_DEFAULTS = Path(__file__).resolve().parent / "data" / "reach_defaults.yaml"
_LOWER_BOUNDS = (0, 16, 30, 45, 65, 75, 85)
_SEX_WORDS = {"F": "F", "K": "F", "KVINNA": "F", "FEMALE": "F", "M": "M", "MAN": "M", "MALE": "M"}
_WEEKDAYS_SV = ("mån", "tis", "ons", "tor", "fre", "lör", "sön")
_TABLE_POINTS = 4096  # read-curve lookup table (log-spaced active hours): error below 1e-6
_CHUNK = 512  # send times per block in read_curve, to bound memory


def age_band(age: pl.Expr | str) -> pl.Expr:
    """Map whole-year ages to the closed list :data:`AGE_BANDS` (negative, NaN or null -> null).

    NaN must be caught: polars orders it above every number, so it would land in 85+.
    """
    expr = pl.col(age) if isinstance(age, str) else age
    expr = expr.cast(pl.Float64).fill_nan(None)
    chain: Any = pl
    for lower, label in zip(reversed(_LOWER_BOUNDS), reversed(AGE_BANDS), strict=True):
        chain = chain.when(expr >= lower).then(pl.lit(label))
    return chain.otherwise(pl.lit(None)).cast(AGE_BAND).alias("age_band")


# --------------------------------------------------------------------------- assumptions


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Share(_Model):
    """A probability with a Beta(mean*strength, (1-mean)*strength) prior."""

    mean: float = Field(ge=0, le=1, description="best guess of the share, 0-1")
    strength: float = Field(gt=0, description="pseudo-count: how many people the guess is worth")
    source: str = Field(min_length=1, description="where it comes from; 'Assumption' if it is one")

    def interval(self, low: float = 0.05, high: float = 0.95) -> tuple[float, float]:
        """The prior's central interval (for tables: what the assumption allows)."""
        from scipy.stats import beta

        if self.mean in (0.0, 1.0):
            return (self.mean, self.mean)
        a, b = self.mean * self.strength, (1 - self.mean) * self.strength
        return (float(beta.ppf(low, a, b)), float(beta.ppf(high, a, b)))


class Number(_Model):
    """A fixed number with its source."""

    value: float
    source: str = Field(min_length=1)


class ReadTiming(_Model):
    """Time to read for one group (notified or not): who reads at all, and how fast."""

    read_share: Share
    soon_share: Share
    soon_median_hours: Number
    soon_sigma: Number
    later_median_hours: Number
    later_sigma: Number

    @model_validator(mode="after")
    def _positive(self) -> ReadTiming:
        for name in ("soon_median_hours", "soon_sigma", "later_median_hours", "later_sigma"):
            if getattr(self, name).value <= 0:
                raise ValueError(f"{name} must be above 0, got {getattr(self, name).value}")
        return self

    def cdf(self, hours: np.ndarray) -> np.ndarray:
        """Expected share read by ``hours`` active hours (prior means)."""
        soon, later = self.components(hours)
        s = self.soon_share.mean
        return self.read_share.mean * (s * soon + (1 - s) * later)

    def components(self, hours: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Log-normal CDFs of the soon and later parts at ``hours`` (0 at or before 0 h)."""
        h = np.asarray(hours, dtype=float)
        out = []
        for median, sigma in (
            (self.soon_median_hours.value, self.soon_sigma.value),
            (self.later_median_hours.value, self.later_sigma.value),
        ):
            with np.errstate(divide="ignore"):
                z = (np.log(np.where(h > 0, h, 1.0)) - math.log(median)) / sigma
            out.append(np.where(h > 0, ndtr(z), 0.0))
        return out[0], out[1]


class TimeToRead(_Model):
    """Time-to-read models for the notified and the not notified."""

    notified: ReadTiming
    not_notified: ReadTiming


class SexShares(_Model):
    """Shares for one legal sex within a band; unset ones fall back to the band's."""

    login_share: Share | None = None
    notification_share: Share | None = None


class BandAssumptions(_Model):
    """One age band: login and notification shares, optionally per sex and own read timing."""

    login_share: Share
    notification_share: Share
    by_sex: dict[Literal["F", "M"], SexShares] = Field(default_factory=dict)
    time_to_read: TimeToRead | None = None

    def share(self, kind: str, sex: str | None) -> tuple[Share, str]:
        """The share of ``kind`` for ``sex`` (or the band's), with a key naming which it is."""
        if sex is not None and sex in self.by_sex:
            specific = getattr(self.by_sex[sex], kind)
            if specific is not None:
                return specific, sex
        return getattr(self, kind), "*"


class Rhythm(_Model):
    """Relative reading intensity per local hour, lower on weekends and public holidays."""

    timezone: str = "Europe/Stockholm"
    hourly: tuple[float, ...]
    source: str = Field(min_length=1)
    weekend_factor: Number
    holidays_as_weekend: bool = True

    @field_validator("hourly")
    @classmethod
    def _hours(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if len(value) != 24:
            raise ValueError(f"hourly needs 24 values (local hours 0-23), got {len(value)}")
        if min(value) < 0 or sum(value) <= 0:
            raise ValueError("hourly values must be 0 or more, and not all 0")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except Exception as exc:
            raise ValueError(
                f"timezone {value!r} is not an IANA zone like Europe/Stockholm"
            ) from exc
        return value

    @model_validator(mode="after")
    def _weekend(self) -> Rhythm:
        if self.weekend_factor.value <= 0:
            raise ValueError(f"weekend_factor must be above 0, got {self.weekend_factor.value}")
        return self


class PopulationMix(_Model):
    """Age mix used when a read curve is asked for without a target mix."""

    shares: dict[str, float]
    source: str = Field(min_length=1)

    @field_validator("shares")
    @classmethod
    def _bands(cls, value: dict[str, float]) -> dict[str, float]:
        bad = sorted(set(value) - set(AGE_BANDS))
        if bad:
            raise ValueError(f"unknown age bands {bad}; accepted: {', '.join(AGE_BANDS)}")
        if min(value.values(), default=0) < 0 or sum(value.values()) <= 0:
            raise ValueError("shares must be 0 or more and not all 0")
        return value


class FittedFrom(BaseModel):
    """Where fitted parameters come from (written by the follow-up step)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    campaign: str
    n: int = Field(ge=0, description="people the fit is based on")
    date: dt.date | None = None


class Assumptions(_Model):
    """Everything the reach model assumes; the format of ``params/reach_defaults.yaml``."""

    format_version: int = FORMAT_VERSION
    description: str | None = None
    fitted_from: FittedFrom | None = None
    follow_up_after_hours: Number
    bands: dict[str, BandAssumptions]
    unknown_age: BandAssumptions
    time_to_read: TimeToRead
    rhythm: Rhythm
    population_mix: PopulationMix

    @field_validator("format_version")
    @classmethod
    def _version(cls, value: int) -> int:
        if value != FORMAT_VERSION:
            raise ValueError(
                f"format_version {value} is not supported; this kit reads {FORMAT_VERSION}"
            )
        return value

    @field_validator("bands")
    @classmethod
    def _all_bands(cls, value: dict[str, BandAssumptions]) -> dict[str, BandAssumptions]:
        unknown = sorted(set(value) - set(AGE_BANDS))
        if unknown:
            raise ValueError(f"unknown age bands {unknown}; accepted: {', '.join(AGE_BANDS)}")
        missing = [b for b in AGE_BANDS if b not in value]
        if missing:
            raise ValueError(
                f"age bands {missing} are missing; give all of {', '.join(AGE_BANDS)} "
                "(or load with fill_missing_from=<defaults>)"
            )
        return {b: value[b] for b in AGE_BANDS}

    @model_validator(mode="after")
    def _follow_up(self) -> Assumptions:
        if self.follow_up_after_hours.value <= 0:
            raise ValueError("follow_up_after_hours must be above 0")
        return self

    def band(self, label: str) -> BandAssumptions:
        """The assumptions for an age band label (or :data:`UNKNOWN_BAND`)."""
        return self.unknown_age if label == UNKNOWN_BAND else self.bands[label]

    def timing(self, label: str) -> TimeToRead:
        """Time to read for a band: its own if set, else the common one."""
        return self.band(label).time_to_read or self.time_to_read

    def with_overrides(
        self,
        *,
        login_share: float | Share | Mapping[str, float | Share] | None = None,
        notification_share: float | Share | Mapping[str, float | Share] | None = None,
        login_scale: float | None = None,
        notification_scale: float | None = None,
        read_share_notified: float | Share | None = None,
        read_share_not_notified: float | Share | None = None,
        strength: float | None = None,
        follow_up_after_hours: float | None = None,
        weekend_factor: float | None = None,
        fitted_from: FittedFrom | Mapping[str, Any] | None = None,
        note: str = "changed in this session",
    ) -> Assumptions:
        """A copy with changed shares (for widgets and for fitted values).

        A float sets the mean of every band (and its per-sex values); a mapping ``{band: value}``
        sets some bands (``"okänd"`` for unknown age). A :class:`Share` is used as given (a
        follow-up passes fitted shares with their own strength and source). ``*_scale``
        multiplies every band's mean (capped at 1). ``strength`` applies to changed shares;
        otherwise each keeps its own. Changed numbers get a source naming the override.
        """
        data = self.model_dump()
        tag = f"Override ({note})"

        def changed(old: dict, new: float | Share | Mapping[str, Any], why: str = "") -> dict:
            if isinstance(new, Share):
                return new.model_dump()
            if isinstance(new, Mapping):
                return Share.model_validate(new).model_dump()
            mean = float(new)
            if not 0 <= mean <= 1:
                raise AssumptionsError(f"{tag}: a share must be between 0 and 1, got {mean}")
            return {
                "mean": mean,
                "strength": strength if strength is not None else old["strength"],
                "source": f"{tag}{why}; was {old['mean']:.3g} from: {old['source']}",
            }

        def bands_of(value: Any) -> dict[str, Any]:
            if value is None:
                return {}
            if isinstance(value, Mapping) and not {"mean", "strength"} <= set(value):
                accepted = (*AGE_BANDS, UNKNOWN_BAND)
                bad = sorted(set(value) - set(accepted))
                if bad:
                    raise AssumptionsError(f"{tag}: unknown age bands {bad}; accepted: {accepted}")
                return dict(value)
            return dict.fromkeys((*AGE_BANDS, UNKNOWN_BAND), value)

        def band_dict(label: str) -> dict:
            return data["unknown_age"] if label == UNKNOWN_BAND else data["bands"][label]

        for kind, given, scale in (
            ("login_share", login_share, login_scale),
            ("notification_share", notification_share, notification_scale),
        ):
            for label, new in bands_of(given).items():
                entry = band_dict(label)
                entry[kind] = changed(entry[kind], new)
                for sex_entry in entry.get("by_sex", {}).values():
                    if sex_entry.get(kind) is not None:
                        sex_entry[kind] = None
            if scale is not None:
                if scale < 0:
                    raise AssumptionsError(f"{tag}: {kind} scale must be 0 or more, got {scale}")
                for label in (*AGE_BANDS, UNKNOWN_BAND):
                    entry = band_dict(label)
                    shares = [entry] + [s for s in entry.get("by_sex", {}).values()]
                    for holder in shares:
                        if holder.get(kind) is not None:
                            old = holder[kind]
                            new_mean = min(1.0, old["mean"] * scale)
                            holder[kind] = changed(old, new_mean, f", scaled x{scale:g}")
        for group, given in (
            ("notified", read_share_notified),
            ("not_notified", read_share_not_notified),
        ):
            if given is not None:
                entry = data["time_to_read"][group]
                entry["read_share"] = changed(entry["read_share"], given)
        if follow_up_after_hours is not None:
            data["follow_up_after_hours"] = {"value": float(follow_up_after_hours), "source": tag}
        if weekend_factor is not None:
            data["rhythm"]["weekend_factor"] = {"value": float(weekend_factor), "source": tag}
        if fitted_from is not None:
            data["fitted_from"] = (
                fitted_from.model_dump() if isinstance(fitted_from, FittedFrom) else fitted_from
            )
        return _validate(data, "with_overrides")

    def to_yaml(self, path: str | Path) -> Path:
        """Write the same format as the defaults (atomically), e.g. fitted parameters."""
        data = self.model_dump(mode="json", exclude_none=True)
        for band in (*data["bands"].values(), data["unknown_age"]):
            if not band.get("by_sex"):
                band.pop("by_sex", None)
        header = (
            "# Reach assumptions for inkorg_kit.reach (load with load_assumptions).\n"
            "# Every number has a source; a share {mean, strength} is a Beta(mean*strength,\n"
            "# (1-mean)*strength) prior, strength = pseudo-count of people.\n"
        )
        text = header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
        return write_private_text(path, text)

    def table(self, interval: tuple[float, float] = (0.05, 0.95)) -> pl.DataFrame:
        """Every share as a row (parameter, band, sex, mean, prior interval, strength, source)."""
        rows = []
        for label in (*AGE_BANDS, UNKNOWN_BAND):
            band = self.band(label)
            for kind in ("login_share", "notification_share"):
                entries = [("*", getattr(band, kind))] + [
                    (sex, getattr(s, kind))
                    for sex, s in band.by_sex.items()
                    if getattr(s, kind) is not None
                ]
                for sex, share in entries:
                    rows.append((kind, label, sex, share))
            if band.time_to_read is not None:
                rows += _timing_rows(band.time_to_read, label)
        rows += _timing_rows(self.time_to_read, "*")
        return pl.DataFrame(
            [
                {
                    "parameter": kind,
                    "age_band": label,
                    "sex": sex,
                    "mean": share.mean,
                    "low": share.interval(*interval)[0],
                    "high": share.interval(*interval)[1],
                    "strength": share.strength,
                    "source": share.source,
                }
                for kind, label, sex, share in rows
            ]
        )


def _timing_rows(timing: TimeToRead, label: str) -> list[tuple[str, str, str, Share]]:
    return [
        (f"{group}.{kind}", label, "*", getattr(getattr(timing, group), kind))
        for group in ("notified", "not_notified")
        for kind in ("read_share", "soon_share")
    ]


def _validate(data: Mapping[str, Any], where: str) -> Assumptions:
    try:
        return Assumptions.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        lines = [
            f"  {'.'.join(str(p) for p in err['loc']) or '(top)'}: "
            + ("missing (required)" if err["type"] == "missing" else err["msg"])
            for err in errors
        ]
        if any(err["type"] == "missing" for err in errors):
            lines.append(
                "  A partial file (e.g. fitted parameters) can take the rest from the defaults: "
                "load_assumptions(path, fill_missing_from=default_assumptions_path())"
            )
        raise AssumptionsError(
            f"reach assumptions from {where} are not valid:\n" + "\n".join(lines)
        ) from None


def _read_source(source: Assumptions | Mapping[str, Any] | str | Path) -> tuple[dict, str]:
    if isinstance(source, Assumptions):
        return source.model_dump(), "an Assumptions object"
    if isinstance(source, Mapping):
        return dict(source), "a mapping"
    path = Path(source)
    if not path.is_file():
        raise AssumptionsError(f"reach assumptions file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise AssumptionsError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise AssumptionsError(f"{path} must hold a mapping (format_version, bands, ...)")
    return data, str(path)


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Deep merge, but a parameter (a mapping with ``source``) is replaced whole."""
    out = dict(base)
    for key, value in over.items():
        old = out.get(key)
        if (
            isinstance(value, Mapping)
            and isinstance(old, Mapping)
            and "source" not in value
            and key != "fitted_from"
        ):
            out[key] = _merge(old, value)
        else:
            out[key] = value
    return out


def default_assumptions_path() -> Path:
    """Where the defaults are read from (the repository's params, else a packaged copy)."""
    return DEFAULTS_PATH if DEFAULTS_PATH.is_file() else _PACKAGED_DEFAULTS


def load_assumptions(
    source: Assumptions | Mapping[str, Any] | str | Path | None = None,
    *,
    fill_missing_from: Assumptions | Mapping[str, Any] | str | Path | None = None,
) -> Assumptions:
    """Load reach assumptions from YAML (default: ``params/reach_defaults.yaml``) or a dict.

    ``fill_missing_from`` lets a partial file (say fitted parameters for three bands) take the
    rest from another set, usually the defaults; a parameter is always taken whole, with its
    own source.
    """
    if source is None:
        source = default_assumptions_path()
    if isinstance(source, Assumptions) and fill_missing_from is None:
        return source
    data, where = _read_source(source)
    if fill_missing_from is not None:
        base, base_where = _read_source(fill_missing_from)
        data = _merge(base, data)
        where = f"{where} (missing parts from {base_where})"
    return _validate(data, where)


# --------------------------------------------------------------------------- target strata


def _as_polars(frame: Any, what: str) -> pl.DataFrame:
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    if isinstance(frame, pl.DataFrame):
        return frame
    if isinstance(frame, Mapping):
        return pl.DataFrame(dict(frame))
    try:
        import pandas as pd

        if isinstance(frame, pd.DataFrame):
            return pl.from_pandas(frame)
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    raise TypeError(f"{what} must be a polars or pandas DataFrame, got {type(frame).__name__}")


def _band_column(frame: pl.DataFrame, what: str) -> pl.Expr:
    if "age_band" in frame.columns:
        text = pl.col("age_band").cast(pl.String).str.strip_chars()
        accepted = (*AGE_BANDS, UNKNOWN_BAND)
        bad = frame.select(text.filter(text.is_not_null() & ~text.is_in(accepted)).unique())
        if bad.height:
            raise TargetError(
                f"{what}: column age_band has values {bad.to_series().head(5).to_list()}; "
                f"accepted: {', '.join(accepted)} (or null for unknown)"
            )
        return text.fill_null(UNKNOWN_BAND).cast(BAND_OR_UNKNOWN)
    if "age" in frame.columns:
        if not frame.schema["age"].is_numeric():
            raise TargetError(f"{what}: column age must be numeric, got {frame.schema['age']}")
        return age_band("age").cast(pl.String).fill_null(UNKNOWN_BAND).cast(BAND_OR_UNKNOWN)
    raise TargetError(
        f"{what} has columns {frame.columns}; it needs age_band (one of {', '.join(AGE_BANDS)}) "
        "or age, optionally sex ('F'/'M'), and n when it is already aggregated"
    )


def _sex_column(frame: pl.DataFrame, what: str) -> pl.Expr:
    if "sex" not in frame.columns:
        return pl.lit(None, dtype=SEX).alias("sex")
    text = pl.col("sex").cast(pl.String).str.strip_chars().str.to_uppercase()
    mapped = text.replace_strict(_SEX_WORDS, default=None)
    bad = frame.select(pl.col("sex").filter(text.is_not_null() & mapped.is_null()).unique())
    if bad.height:
        raise TargetError(
            f"{what}: column sex has values {bad.to_series().head(5).to_list()}; "
            "accepted: F or M (also K, kvinna, man), or null"
        )
    return mapped.cast(SEX).alias("sex")


def target_strata(target: Any) -> pl.DataFrame:
    """Aggregate a target group to strata: ``age_band``, ``sex`` (null if unknown), ``n``.

    ``target`` is a person-level frame (``age_band`` or ``age``, optionally ``sex``; each row
    one person) or an aggregated one with ``n``. Strata with n = 0 are dropped. The raw values
    are grouped first, so labels are checked and mapped on a handful of rows, not millions.
    """
    frame = _as_polars(target, "target")
    keys = [c for c in ("age_band", "age", "sex") if c in frame.columns]
    if "age_band" in keys and "age" in keys:
        keys.remove("age")
    if "n" in frame.columns:
        if not frame.schema["n"].is_integer():
            raise TargetError(f"target: column n must hold whole numbers, got {frame.schema['n']}")
        problems = frame.select(
            nulls=pl.col("n").is_null().sum(), negative=(pl.col("n") < 0).sum()
        ).row(0, named=True)
        if problems["nulls"] or problems["negative"]:
            raise TargetError(
                f"target: column n has {problems['nulls']} empty and {problems['negative']} "
                "negative values; counts must be 0 or more"
            )
        count = pl.col("n").cast(pl.Int64).sum()
    else:
        count = pl.len().cast(pl.Int64)
    raw = frame.group_by(keys).agg(count.alias("n")) if keys else frame.select(count.alias("n"))
    band, sex = _band_column(raw, "target"), _sex_column(raw, "target")
    return (
        raw.select(band, sex, "n")
        .group_by("age_band", "sex")
        .agg(pl.col("n").sum())
        .filter(pl.col("n") > 0)
        .sort("age_band", "sex", nulls_last=True)
    )


# --------------------------------------------------------------------------- simulation

MEASURE_LABELS = {
    "target": "I målgruppen",
    "messageable": "Kan nås i 1177-inkorgen (aktiv inloggning)",
    "notified": "Får avisering (sms/e-post)",
    "no_login": "Annan kanal direkt (saknar aktiv inloggning)",
    "unread_at_follow_up": "Annan kanal efter uppföljning (oläst vid tidsgränsen)",
    "other_channel_total": "Annan kanal totalt",
}


def read_code(hours: float) -> str:
    """Measure code for "read within ``hours``", e.g. ``read_24h``."""
    return f"read_{hours:g}h"


def read_label(hours: float) -> str:
    """Swedish label for "read within ``hours``"."""
    if hours == 1:
        return "Läst inom 1 timme"
    if hours >= 168 and hours % 24 == 0:
        return f"Läst inom {hours / 24:g} dagar"
    return f"Läst inom {hours:g} timmar"


@dataclass(frozen=True)
class ReachResult:
    """Expected counts with intervals; aggregates only (no person-level data).

    ``summary``: one row per measure (``measure`` code, Swedish ``label``, ``expected``, ``low``
    and ``high`` at the ``interval`` quantiles rounded outward to whole people, ``share`` of
    the target); ``by_band``: the same per age band; ``strata``: the aggregated target;
    ``draws``: simulated totals, one row per draw and one column per measure (``measures``), or
    None. The follow-up deadline is ``follow_up_working_hours`` working hours after each
    message when set, else ``follow_up_after_hours`` clock hours; ``horizons_from`` says in
    Swedish what "read within" counts from (for captions).
    """

    summary: pl.DataFrame
    by_band: pl.DataFrame
    strata: pl.DataFrame
    interval: tuple[float, float]
    horizons_hours: tuple[float, ...]
    follow_up_after_hours: float
    measures: tuple[str, ...]
    draws: np.ndarray | None = field(default=None, repr=False)
    follow_up_working_hours: float | None = None
    horizons_from: str = ""

    def draws_frame(self) -> pl.DataFrame:
        """The simulated totals, one row per draw and one column per measure."""
        if self.draws is None:
            raise ValueError("this result was simulated with keep_draws=False")
        return pl.DataFrame(self.draws, schema=list(self.measures))


@dataclass(frozen=True)
class _Param:
    """Unique Beta priors, and for each stratum the index of its prior."""

    shares: list[Share]
    index: np.ndarray

    @classmethod
    def build(cls, picks: Sequence[tuple[str, Share]]) -> _Param:
        keys: dict[str, int] = {}
        shares: list[Share] = []
        index = []
        for key, share in picks:
            if key not in keys:
                keys[key] = len(shares)
                shares.append(share)
            index.append(keys[key])
        return cls(shares, np.asarray(index, dtype=np.intp))

    def means(self) -> np.ndarray:
        return np.array([s.mean for s in self.shares])[self.index]

    def draw(self, rng: np.random.Generator, draws: int) -> np.ndarray:
        mean = np.array([s.mean for s in self.shares])
        strength = np.array([s.strength for s in self.shares])
        degenerate = (mean <= 0) | (mean >= 1)
        a = np.where(degenerate, 1.0, mean * strength)
        b = np.where(degenerate, 1.0, (1 - mean) * strength)
        p = rng.beta(a, b, size=(draws, len(self.shares)))
        p = np.where(degenerate, mean, p)
        return p[:, self.index]


def _horizons(values: Iterable[float]) -> tuple[float, ...]:
    given = list(values)
    out = tuple(sorted({float(h) for h in given}))
    if not out or out[0] <= 0:
        raise ValueError(f"horizons_hours must be one or more hours above 0, got {given}")
    return out


def _sequential_reads(rng: np.random.Generator, pool: np.ndarray, cdf: np.ndarray) -> np.ndarray:
    """Reads by each horizon among ``pool``, monotone within a draw.

    ``cdf`` has shape (horizons, draws, strata): the share read by each horizon.
    """
    reads = np.zeros(cdf.shape, dtype=np.int64)
    done = np.zeros(pool.shape, dtype=np.int64)
    previous = np.zeros(pool.shape)
    for k in range(cdf.shape[0]):
        remaining = 1 - previous
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(remaining > 0, (cdf[k] - previous) / remaining, 0.0)
        done = done + rng.binomial(pool - done, np.clip(step, 0.0, 1.0))
        reads[k] = done
        previous = cdf[k]
    return reads


def _send_times(
    a: Assumptions, sent_at: Any, sends: Any
) -> tuple[np.ndarray, np.ndarray, str] | None:
    """Send times (epoch hours), each one's share of the messages, and a Swedish note on what
    the horizons count from; None without a calendar time."""
    zone = ZoneInfo(a.rhythm.timezone)
    if sent_at is not None and sends is not None:
        raise ValueError("give sent_at (one send time) or sends (the send plan), not both")
    if sent_at is not None:
        moment = as_datetime(sent_at, zone, "sent_at")
        note = f"från utskicket {send_label(moment)}, med dygnsrytmen"
        return epoch_hours([moment]), np.ones(1), note
    if sends is None:
        return None
    plan = _sends(sends, zone).group_by("start").agg(pl.col("rows").sum()).sort("start")
    rows = plan["rows"].to_numpy().astype(float)
    if rows.sum() <= 0:
        raise ValueError("sends has no messages: give a send plan with rows above 0")
    note = "från varje persons eget meddelande enligt sändplanen, med dygnsrytmen"
    return plan["start"].dt.epoch("ms").to_numpy() / 3_600_000, rows / rows.sum(), note


def _deadlines(send_hours: np.ndarray, working_hours: float, windows: Any) -> np.ndarray:
    """Epoch hours when ``working_hours`` of open send window have passed after each send."""
    starts = (
        pl.Series("start", np.round(send_hours * 3_600_000).astype(np.int64))
        .cast(pl.Datetime("ms", "UTC"))
        .dt.cast_time_unit("us")
    )
    ends = schedule.add_working_hours(starts, working_hours, windows)
    return ends.dt.epoch("ms").to_numpy() / 3_600_000


def _sorted_reads(rng: np.random.Generator, pool: np.ndarray, cdf: np.ndarray) -> np.ndarray:
    """:func:`_sequential_reads` for moments in any order (the follow-up deadline of a plan may
    fall between horizons): drawn in the order of each draw's read share, given back as asked."""
    order = np.argsort(cdf, axis=0, kind="stable")
    drawn = _sequential_reads(rng, pool, np.take_along_axis(cdf, order, axis=0))
    reads = np.empty_like(drawn)
    np.put_along_axis(reads, order, drawn, axis=0)
    return reads


def simulate(
    target: Any,
    assumptions: Assumptions | Mapping[str, Any] | str | Path | None = None,
    *,
    draws: int = 2000,
    seed: int | None = 0,
    horizons_hours: Iterable[float] = (1, 24, 72, 168),
    interval: tuple[float, float] = (0.05, 0.95),
    sent_at: dt.datetime | str | None = None,
    sends: Any = None,
    follow_up_working_hours: float | None = None,
    windows: Any = None,
    keep_draws: bool = True,
) -> ReachResult:
    """Expected counts with intervals: target, messageable, notified, read by each horizon,
    and those needing another channel at once (no login) and after the follow-up deadline.

    Vectorised over strata (age band x sex): one aggregation, then numpy arrays of shape
    (draws, strata). "Read within 24 hours" counts from each person's own message:

    * without a send time, horizons are active hours (see the module docstring);
    * ``sent_at`` (one send time; naive or ISO text = local time in the rhythm's zone): calendar
      hours after that moment, through the daily rhythm;
    * ``sends`` (a ``schedule.SendPlan`` or a frame with ``start`` and ``rows``): the same for
      every file's send time, weighted by its rows (everyone's file is equally likely to be
      theirs: the plan's files carry no age band).

    The follow-up deadline: with ``follow_up_working_hours`` (the campaign's
    ``followup.unread_after_working_hours``) and a send time, unread that many working hours
    of ``windows`` (the campaign's send windows; default weekdays 08-17) after each message, as
    the follow-up step counts it; otherwise the assumptions' ``follow_up_after_hours`` in clock
    hours.
    """
    if draws < 1:
        raise ValueError(f"draws must be 1 or more, got {draws}")
    low_q, high_q = interval
    if not 0 <= low_q < high_q <= 1:
        raise ValueError(f"interval must be two quantiles 0 <= low < high <= 1, got {interval}")
    a = load_assumptions(assumptions)
    strata = target_strata(target)
    horizons = _horizons(horizons_hours)
    clock_follow_up = a.follow_up_after_hours.value
    timed = _send_times(a, sent_at, sends)
    if follow_up_working_hours is not None:
        working = float(follow_up_working_hours)
        if not (math.isfinite(working) and working > 0):
            raise ValueError(
                f"follow_up_working_hours must be above 0, got {follow_up_working_hours!r}"
            )
        if timed is None:
            raise ValueError(
                "follow_up_working_hours counts from a send time: give sent_at or sends "
                "(the send plan), or leave it out to use follow_up_after_hours (clock hours)"
            )
    if timed is None:  # active hours: durations are the horizons themselves
        active = np.array([*horizons, clock_follow_up])[:, None]
        weights = np.ones(1)
        note = "i aktiva timmar från eget meddelande (ingen sändtid given)"
    else:
        send_hours, weights, note = timed
        if follow_up_working_hours is not None:
            follow_at = _deadlines(send_hours, working, windows)
        else:
            follow_at = send_hours + clock_follow_up
        ends = np.vstack([*(send_hours + h for h in horizons), follow_at])  # moments x sends
        clock = ActiveClock.between(a.rhythm, float(send_hours.min()), float(ends.max()))
        active = clock.active(ends) - clock.active(send_hours)[None, :]
    moments = len(horizons) + 1  # the horizons, then the follow-up deadline

    bands = strata["age_band"].cast(pl.String).to_list()
    sexes = strata["sex"].cast(pl.String).to_list()
    n = strata["n"].to_numpy().astype(np.int64)

    def picks(kind: str) -> list[tuple[str, Share]]:
        out = []
        for band, sex in zip(bands, sexes, strict=True):
            share, which = a.band(band).share(kind, sex)
            out.append((f"{band}|{which}", share))
        return out

    login, notif = _Param.build(picks("login_share")), _Param.build(picks("notification_share"))
    groups = {}
    for group in ("notified", "not_notified"):
        timing_key = [b if a.band(b).time_to_read is not None else "*" for b in bands]
        timings = [getattr(a.timing(b), group) for b in bands]
        read = _Param.build([(k, t.read_share) for k, t in zip(timing_key, timings, strict=True)])
        soon = _Param.build([(k, t.soon_share) for k, t in zip(timing_key, timings, strict=True)])
        # per stratum: the (soon, later) CDFs at each moment, mixed over the send times
        parts = [[c @ weights for c in t.components(active)] for t in timings]
        soon_cdf = np.array([p[0] for p in parts]).T.reshape(moments, 1, len(bands))
        later_cdf = np.array([p[1] for p in parts]).T.reshape(moments, 1, len(bands))
        groups[group] = (read, soon, soon_cdf, later_cdf)

    # expected values: products of prior means (the priors are independent)
    m_login, m_notif = login.means(), notif.means()
    expected = {"target": n.astype(float), "messageable": n * m_login}
    expected["notified"] = expected["messageable"] * m_notif
    expected_reads = np.zeros((moments, len(bands)))
    for group, pool_share in (("notified", m_notif), ("not_notified", 1 - m_notif)):
        read, soon, soon_cdf, later_cdf = groups[group]
        s = soon.means()
        cdf = read.means() * (s * soon_cdf[:, 0] + (1 - s) * later_cdf[:, 0])
        expected_reads += expected["messageable"] * pool_share * cdf

    # draws
    rng = np.random.default_rng(seed)
    size = (draws, len(bands))
    p_login, p_notif = login.draw(rng, draws), notif.draw(rng, draws)
    messageable = rng.binomial(np.broadcast_to(n, size), p_login)
    notified = rng.binomial(messageable, p_notif)
    reads = np.zeros((moments, *size), dtype=np.int64)
    for group, pool in (("notified", notified), ("not_notified", messageable - notified)):
        read, soon, soon_cdf, later_cdf = groups[group]
        r, s = read.draw(rng, draws), soon.draw(rng, draws)
        reads += _sorted_reads(rng, pool, r * (s * soon_cdf + (1 - s) * later_cdf))

    follow_i = len(horizons)
    drawn = {
        "target": np.broadcast_to(n, size),
        "messageable": messageable,
        "notified": notified,
        **{read_code(h): reads[i] for i, h in enumerate(horizons)},
        "no_login": np.broadcast_to(n, size) - messageable,
        "unread_at_follow_up": messageable - reads[follow_i],
    }
    drawn["other_channel_total"] = drawn["no_login"] + drawn["unread_at_follow_up"]
    expected.update({read_code(h): expected_reads[i] for i, h in enumerate(horizons)})
    expected["no_login"] = n - expected["messageable"]
    expected["unread_at_follow_up"] = expected["messageable"] - expected_reads[follow_i]
    expected["other_channel_total"] = expected["no_login"] + expected["unread_at_follow_up"]

    codes = tuple(drawn)
    labels = {**MEASURE_LABELS, **{read_code(h): read_label(h) for h in horizons}}
    if follow_up_working_hours is not None:
        rule = f"oläst {working:g} arbetstimmar i sändfönstren"
    else:
        rule = f"oläst {clock_follow_up:g} klocktimmar"
    labels["unread_at_follow_up"] = f"Annan kanal efter uppföljning ({rule})"
    stacked = np.stack([drawn[c] for c in codes], axis=-1)  # draws x strata x measures
    mean_stacked = np.stack([expected[c] for c in codes], axis=-1)  # strata x measures

    def frame(sel: np.ndarray | slice) -> dict[str, list]:
        total = stacked[:, sel, :].sum(axis=1)
        lo, hi = np.quantile(total, [low_q, high_q], axis=0)
        exp = mean_stacked[sel, :].sum(axis=0)
        share = exp / exp[0] if exp[0] > 0 else np.zeros_like(exp)
        return {
            "measure": list(codes),
            "label": [labels[c] for c in codes],
            "expected": exp.tolist(),
            "low": np.floor(lo).tolist(),  # whole people, rounded outward
            "high": np.ceil(hi).tolist(),
            "share": share.tolist(),
        }

    schema = {
        "measure": pl.Enum(codes),
        "label": pl.String,
        "expected": pl.Float64,
        "low": pl.Float64,
        "high": pl.Float64,
        "share": pl.Float64,
    }
    summary = pl.DataFrame(frame(slice(None)), schema=schema)
    band_frames = []
    band_array = np.array(bands)
    for label in dict.fromkeys(bands):
        part = pl.DataFrame(frame(np.flatnonzero(band_array == label)), schema=schema)
        band_frames.append(
            part.select(pl.lit(label).cast(BAND_OR_UNKNOWN).alias("age_band"), pl.all())
        )
    by_band = (
        pl.concat(band_frames)
        if band_frames
        else pl.DataFrame(schema={"age_band": BAND_OR_UNKNOWN, **schema})
    )
    return ReachResult(
        summary=summary,
        by_band=by_band,
        strata=strata,
        interval=(low_q, high_q),
        horizons_hours=horizons,
        follow_up_after_hours=clock_follow_up,
        measures=codes,
        draws=stacked.sum(axis=1) if keep_draws else None,
        follow_up_working_hours=working if follow_up_working_hours is not None else None,
        horizons_from=note,
    )


# --------------------------------------------------------------------------- calendar time


def _mix_weights(a: Assumptions, mix: Any) -> dict[str, float]:
    if mix is None:
        weights = dict(a.population_mix.shares)
    elif isinstance(mix, Mapping):
        weights = {str(k): float(v) for k, v in mix.items()}
    else:
        strata = target_strata(mix)
        weights = {}
        for row in strata.group_by("age_band").agg(pl.col("n").sum()).iter_rows():
            weights[str(row[0])] = float(row[1])
    accepted = (*AGE_BANDS, UNKNOWN_BAND)
    bad = sorted(set(weights) - set(accepted))
    if bad:
        raise ValueError(f"mix has unknown age bands {bad}; accepted: {', '.join(accepted)}")
    total = sum(weights.values())
    if total <= 0 or min(weights.values()) < 0:
        raise ValueError("mix weights must be 0 or more and not all 0")
    return {b: w / total for b, w in weights.items() if w > 0}


def _band_read_cdf(a: Assumptions, label: str, active: np.ndarray) -> np.ndarray:
    """Expected share of a band's *target* read by ``active`` hours (prior means)."""
    band, timing = a.band(label), a.timing(label)
    login, notif = band.login_share.mean, band.notification_share.mean
    return login * (
        notif * timing.notified.cdf(active) + (1 - notif) * timing.not_notified.cdf(active)
    )


def eventual_read_share(
    assumptions: Assumptions | Mapping[str, Any] | str | Path | None = None, mix: Any = None
) -> float:
    """Share of the target group that ever reads (the limit of :func:`read_curve`)."""
    a = load_assumptions(assumptions)
    weights = _mix_weights(a, mix)
    return float(
        sum(
            w
            * a.band(b).login_share.mean
            * (
                a.band(b).notification_share.mean * a.timing(b).notified.read_share.mean
                + (1 - a.band(b).notification_share.mean) * a.timing(b).not_notified.read_share.mean
            )
            for b, w in weights.items()
        )
    )


def _sends(sends: Any, zone: ZoneInfo) -> pl.DataFrame:
    if isinstance(getattr(sends, "files", None), pl.DataFrame):  # a schedule.SendPlan
        sends = sends.files
    frame = _as_polars(sends, "sends")
    missing = [c for c in ("start", "rows") if c not in frame.columns]
    if missing:
        raise ValueError(
            f"sends has columns {frame.columns}; it needs start (send time) and rows "
            f"(messages), optionally age_band; missing: {missing}"
        )
    if frame.schema["start"] == pl.String:
        frame = frame.with_columns(pl.col("start").str.to_datetime(time_unit="us"))
    start = pl.col("start")
    dtype = frame.schema["start"]
    if not isinstance(dtype, pl.Datetime):
        raise ValueError(f"sends: column start must be datetimes, got {dtype}")
    if getattr(dtype, "time_zone", None) is None:
        start = start.dt.replace_time_zone(str(zone), ambiguous="earliest", non_existent="null")
    else:
        start = start.dt.convert_time_zone(str(zone))
    if not frame.schema["rows"].is_integer() or frame.select((pl.col("rows") < 0).any()).item():
        raise ValueError("sends: column rows must hold whole numbers, 0 or more")
    band = (
        _band_column(frame, "sends")
        if "age_band" in frame.columns
        else pl.lit(None, dtype=BAND_OR_UNKNOWN).alias("age_band")
    )
    out = frame.select(start.alias("start"), pl.col("rows").cast(pl.Int64), band)
    empty = frame["start"].null_count()
    if empty:
        raise ValueError(f"sends: column start has {empty} empty values")
    if out["start"].null_count():
        gap = frame.filter(out["start"].is_null())["start"].head(3).to_list()
        raise ValueError(
            f"sends: column start has local times that do not exist in {zone.key} (the spring "
            f"daylight-saving gap), e.g. {[str(t) for t in gap]}; give times with an offset"
        )
    return out.group_by("start", "age_band").agg(pl.col("rows").sum()).sort("start")


def read_curve(
    sends: Any,
    assumptions: Assumptions | Mapping[str, Any] | str | Path | None = None,
    *,
    hours: float | None = None,
    rhythm: bool = True,
    mix: Any = None,
    step_hours: float = 1.0,
) -> pl.DataFrame:
    """Expected cumulative reads over calendar time for a send plan.

    ``sends`` has ``start`` (send time; naive times are read as local time) and ``rows``
    (messages), optionally ``age_band`` (then ``rows`` is per band); a ``schedule.SendPlan``
    works too (its files' ``start``, minutes before the send). ``hours`` defaults to the plan's
    span plus 14 days. Without ``age_band``, ``mix`` gives
    the age mix (a mapping band -> weight or a target frame); by default the population mix of
    the assumptions. Reading happens in active time (the rhythm); ``rhythm=False`` uses plain
    hours. Returns one row per ``step_hours`` from the first send up to ``hours`` after it:
    ``time`` (local), ``hours`` (since the first send), ``sent``, ``expected_reads``, and
    ``read_share`` and ``sent_share`` (of all rows in the plan). Band shares are used (not per
    sex), at their prior means: this is the expected curve, without intervals.
    """
    a = load_assumptions(assumptions)
    zone = ZoneInfo(a.rhythm.timezone)
    plan = _sends(sends, zone)
    if plan.is_empty():
        raise ValueError("sends is empty: nothing to draw a read curve for")
    starts = plan["start"].dt.epoch("ms").to_numpy() / 3_600_000
    first = plan["start"].min()
    if hours is None:
        hours = float(starts.max() - starts.min()) + 14 * 24
    if hours <= 0 or step_hours <= 0:
        raise ValueError(f"hours and step_hours must be above 0, got {hours} and {step_hours}")
    offsets = np.arange(0, hours + step_hours / 2, step_hours, dtype=float)
    times = epoch_hours([first])[0] + offsets
    if rhythm:
        clock = ActiveClock.spanning(a.rhythm, [first], hours)
        active_times, active_starts = clock.active(times), clock.active(starts)
    else:
        active_times, active_starts = times, starts

    # one read-probability table per band (or the mix) over elapsed active hours, then
    # interpolation: the curve costs a few array passes, however many files the plan has
    longest = max(float(active_times[-1] - active_times[0]), 1.0) * 1.01
    grid = np.concatenate([[0.0], np.geomspace(1e-4, longest, _TABLE_POINTS)])
    rows = plan["rows"].to_numpy().astype(float)
    keys = plan["age_band"].cast(pl.String).fill_null("").to_numpy()
    tables = {}
    for key in dict.fromkeys(keys.tolist()):
        if key:
            tables[key] = _band_read_cdf(a, key, grid)
        else:
            weights = _mix_weights(a, mix)
            tables[key] = sum(w * _band_read_cdf(a, b, grid) for b, w in weights.items())
    reads = np.zeros_like(times)
    for lo in range(0, len(starts), _CHUNK):
        part = slice(lo, lo + _CHUNK)
        elapsed = active_times[None, :] - active_starts[part, None]  # < 0 before the send: 0
        for key, table in tables.items():
            sel = keys[part] == key
            if sel.any():
                reads += rows[part][sel] @ np.interp(elapsed[sel], grid, table)
    order = np.argsort(starts, kind="stable")
    sent_by = np.concatenate([[0.0], np.cumsum(rows[order])])
    sent = sent_by[np.searchsorted(starts[order], times + 1e-9, side="right")]
    total = rows.sum()
    stamps = (
        pl.Series("time", np.round(times * 3_600_000).astype(np.int64))
        .cast(pl.Datetime("ms", "UTC"))
        .dt.convert_time_zone(a.rhythm.timezone)
    )
    return pl.DataFrame(
        {
            "time": stamps,
            "hours": offsets,
            "sent": sent,
            "expected_reads": reads,
            "read_share": reads / total if total > 0 else np.zeros_like(reads),
            "sent_share": sent / total if total > 0 else np.zeros_like(sent),
        }
    )


def send_label(when: dt.datetime) -> str:
    """A short Swedish label for a send time, e.g. ``fre 2025-03-14 15:30``."""
    return f"{_WEEKDAYS_SV[when.weekday()]} {when:%Y-%m-%d %H:%M}"


def compare_send_times(
    assumptions: Assumptions | Mapping[str, Any] | str | Path | None,
    send_times: Sequence[dt.datetime | str],
    *,
    rows: int = 1000,
    hours: float = 7 * 24,
    rhythm: bool = True,
    mix: Any = None,
) -> pl.DataFrame:
    """Read curves for the same batch sent at different times (e.g. Friday 15:30 vs Tuesday
    09:00), stacked with a ``send`` label; ``hours`` counts from each send."""
    a = load_assumptions(assumptions)
    zone = ZoneInfo(a.rhythm.timezone)
    times = [as_datetime(t, zone) for t in send_times]
    if not times:
        raise ValueError("send_times is empty: give at least one send time")
    labels = list(dict.fromkeys(send_label(t) for t in times))
    curves = [
        read_curve(
            pl.DataFrame({"start": [t], "rows": [rows]}),
            a,
            hours=hours,
            rhythm=rhythm,
            mix=mix,
        ).select(pl.lit(send_label(t)).cast(pl.Enum(labels)).alias("send"), pl.all())
        for t in times
    ]
    return pl.concat(curves)
