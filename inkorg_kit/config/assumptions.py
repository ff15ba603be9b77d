"""The reach model's assumptions, typed: the format of ``params/reach_defaults.yaml`` and of a
follow-up's ``fitted_reach.yaml``, and how they are loaded.

Why here, with the other typed settings: the reach simulation, the read curves, the step-03
widgets and the follow-up's refit all read the same :class:`Assumptions`; the model only
states what is assumed (every number with its ``source``), and :func:`load_assumptions` reads
it through the one strict YAML loader and the one formatter of validation errors. A share
``{mean, strength, source}`` is a Beta(mean*strength, (1-mean)*strength) prior: ``strength``
is a pseudo-count, the number of observed people the assumption is worth.
The time-to-read priors are shared by all bands unless a band has its own ``time_to_read``.

>>> a = load_assumptions()
>>> a.band("65-74").login_share.mean <= 1, a.band(UNKNOWN_BAND) is a.unknown_age
(True, True)
>>> a.with_overrides(login_share=0.5).bands["0-15"].login_share.mean
0.5
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from scipy.special import ndtr

from inkorg_kit._files import write_private_text
from inkorg_kit.config.campaign_parts import CATEGORIES
from inkorg_kit.config.validation import problems
from inkorg_kit.config.yaml import read_yaml
from inkorg_kit.errors import AssumptionsError
from inkorg_kit.vocab import AGE_BANDS, UNKNOWN_BAND

__all__ = [
    "DEFAULTS_PATH",
    "FORMAT_VERSION",
    "PACKAGED_DEFAULTS_PATH",
    "Assumptions",
    "BandAssumptions",
    "CategoryDeadline",
    "Costs",
    "FittedFrom",
    "Number",
    "PopulationMix",
    "ReadTiming",
    "RegionalLevel",
    "ReminderEffect",
    "Rhythm",
    "SexShares",
    "Share",
    "TimeToRead",
    "default_assumptions_path",
    "load_assumptions",
]

FORMAT_VERSION = 1
#: The defaults in a checkout (``params/reach_defaults.yaml``), with a source for every number.
DEFAULTS_PATH = Path(__file__).resolve().parents[2] / "params" / "reach_defaults.yaml"
#: The copy shipped in the wheel, used when there is no checkout.
PACKAGED_DEFAULTS_PATH = Path(__file__).resolve().parents[1] / "data" / "reach_defaults.yaml"


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


class CategoryDeadline(_Model):
    """One message category's follow-up deadlines, in working hours of the send windows."""

    unread_after_working_hours: Number
    reminder_after_working_hours: Number

    @model_validator(mode="after")
    def _order(self) -> CategoryDeadline:
        n, r = self.unread_after_working_hours.value, self.reminder_after_working_hours.value
        if not (0 < r < n):
            raise ValueError(
                f"reminder_after_working_hours ({r:g}) must be above 0 and below"
                f" unread_after_working_hours ({n:g}): the reminder comes before the letter"
            )
        return self


class Costs(_Model):
    """What sending costs (SEK), and how long a letter takes; each number with its source."""

    message_price: Number
    postage_per_letter: Number
    handling_per_letter: Number
    handler_cost_per_hour: Number
    letter_delivery_days: Number

    @model_validator(mode="after")
    def _not_negative(self) -> Costs:
        for name in type(self).model_fields:
            if getattr(self, name).value < 0:
                raise ValueError(f"{name} must be 0 or more, got {getattr(self, name).value}")
        return self


class ReminderEffect(_Model):
    """A 1177 reminder: the share of the still unread who read because of it, and when
    (log-normal active hours after the reminder)."""

    read_share: Share
    median_hours: Number
    sigma: Number

    @model_validator(mode="after")
    def _positive(self) -> ReminderEffect:
        for name in ("median_hours", "sigma"):
            if getattr(self, name).value <= 0:
                raise ValueError(f"{name} must be above 0, got {getattr(self, name).value}")
        return self


class RegionalLevel(_Model):
    """What the bands share: this region's level against the priors.

    ``login_sd_logit``: the standard deviation, on the logit scale, of one shift drawn per
    simulation draw and added to every band's (and sex's) login share in that draw,
    ``p = expit(logit(p_band) + z * login_sd_logit)`` with ``z`` standard normal. The band
    priors stay independent of each other; the shift makes them move together, so intervals
    on totals include the doubt about the region as a whole. 0 = no shared level.
    """

    login_sd_logit: Number

    @model_validator(mode="after")
    def _not_negative(self) -> RegionalLevel:
        value = self.login_sd_logit.value
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"login_sd_logit must be 0 or more, got {value}")
        return self


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
    deadlines: dict[str, CategoryDeadline] | None = None
    costs: Costs | None = None
    reminder: ReminderEffect | None = None
    regional_level: RegionalLevel | None = None

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

    @field_validator("deadlines")
    @classmethod
    def _categories(
        cls, value: dict[str, CategoryDeadline] | None
    ) -> dict[str, CategoryDeadline] | None:
        if value is None:
            return value
        unknown = sorted(set(value) - set(CATEGORIES))
        missing = [c for c in CATEGORIES if c not in value]
        if unknown or missing:
            raise ValueError(
                f"deadlines must name every campaign category once; unknown: {unknown},"
                f" missing: {missing}; accepted: {', '.join(CATEGORIES)}"
            )
        return value

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
        lines = [f"  {line}" for line in problems(exc, Assumptions)]
        if any(err["type"] == "missing" for err in exc.errors(include_url=False)):
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
    data = read_yaml(path, AssumptionsError)
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
    return DEFAULTS_PATH if DEFAULTS_PATH.is_file() else PACKAGED_DEFAULTS_PATH


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
