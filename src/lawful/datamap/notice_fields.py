"""Data-map fields that exist for what the privacy notice and the records must say.

Each is validated here for shape; `lawful.datamap.checks_notice` flags what is missing, with
the article that asks for it.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from lawful.datamap.modelbase import Model
from lawful.law.dpia import Criterion

DPIA_REFERENCE_PATTERN = r"^DPIA-[0-9]{4}-[0-9]{4}$"


class Requirement(StrEnum):
    """Why a person is asked for the data (GDPR Art. 13(2)(e))."""

    statutory = "statutory"  # a law requires it
    contractual = "contractual"  # a contract with the person requires it
    contract_entry = "contract_entry"  # needed to enter into a contract with the person
    none = "none"  # neither: the person gives it freely


class Provision(Model):
    """GDPR Art. 13(2)(e): whether giving the data is a statutory or contractual requirement
    or a requirement to enter into a contract, whether the person is obliged to give it, and
    the possible consequences of not giving it."""

    requirement: Requirement = Field(
        description="statutory, contractual, contract_entry (to enter a contract) or none"
    )
    obliged: bool = Field(description="Whether the person must give the data")
    consequence: str = Field(
        min_length=1, description="What happens if the person does not give it"
    )


class SecurityMeasure(Model):
    """A technical or organisational security measure (GDPR Art. 30(1)(g), Art. 32)."""

    name: str = Field(min_length=1)
    description: str | None = Field(
        default=None, description="What it does and what it protects (required by `check`)"
    )
    kind: str = Field(
        default="technical",
        pattern=r"^(technical|organisational)$",
        description="`technical` or `organisational`",
    )

    @model_validator(mode="before")
    @classmethod
    def _bare_name(cls, value: object) -> object:
        """A bare string (as maps wrote them before) is a measure with only a name."""
        return {"name": value} if isinstance(value, str) else value

    def line(self) -> str:
        """One line for the records: "name — description"."""
        return f"{self.name} — {self.description}" if self.description else self.name


class DoNotTrack(StrEnum):
    honoured = "honoured"
    not_honoured = "not_honoured"


class BrowserSignals(Model):
    """How the websites answer the signals a browser sends on the person's behalf."""

    do_not_track: DoNotTrack = Field(
        description="Whether a Do Not Track signal changes what the websites do "
        "(Cal. Bus. & Prof. Code §22575(b)(5) asks the notice to say)"
    )
    explanation: str | None = Field(
        default=None, description="What exactly happens when the signal is received"
    )


class DeidentifiedData(Model):
    """CCPA §1798.140(m), §1798.145(a)(6): de-identified or aggregate information is not
    personal information; the notice says it is excluded and how it is kept so."""

    deidentified: bool = Field(default=False, description="We keep de-identified data")
    aggregated: bool = Field(default=False, description="We keep aggregate data")
    uses: str = Field(min_length=1, description="What the de-identified or aggregate data is for")


class ApiScope(Model):
    """One API permission over a person's account elsewhere (e.g. a Google API scope)."""

    scope: str = Field(min_length=1, description="The scope as the provider names it")
    provider: str | None = Field(default=None, description="Whose API, e.g. Google")
    why: str = Field(min_length=1, description="What it is used for, and only that")


class PurposeDpia(Model):
    """The DPIA screening of a purpose (GDPR Art. 35; WP248 rev.01 criteria) and its DPIA."""

    criteria: list[Criterion] = Field(
        default_factory=list,
        description="WP248 criteria the purpose meets beyond those the map shows (special or "
        "criminal categories, automated decisions are found by `lawful check`)",
    )
    reference: str | None = Field(
        default=None,
        pattern=DPIA_REFERENCE_PATTERN,
        description="The DPIA of the register (`lawful dpia`) that assesses it, e.g. DPIA-2026-0001",
    )
