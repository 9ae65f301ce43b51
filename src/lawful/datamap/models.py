"""Pydantic models of the data map (`lawful.yaml`), one class per section of DESIGN.md §1.

The models check shape and values; cross-references and legal rules are checked by
`lawful.datamap.checks`, which can point at the exact line of the offending value.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from lawful.datamap.banner import CookieBanner
from lawful.datamap.conditions import HandOver, Scalar, Where
from lawful.datamap.modelbase import Model
from lawful.datamap.notice_fields import (
    ApiScope,
    BrowserSignals,
    DeidentifiedData,
    Provision,
    PurposeDpia,
    SecurityMeasure,
)
from lawful.datamap.outbound import ENV_VAR_PATTERN, Notify, RecipientOpenDsr

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
CATEGORY_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"
COUNTRY_PATTERN = r"^[A-Z]{2}$"
# ISO 8601 durations as retention periods use them: years, months, weeks, days.
DURATION_RE = re.compile(r"^P(?=\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")

Id = Annotated[str, Field(pattern=ID_PATTERN)]
CategoryId = Annotated[str, Field(pattern=CATEGORY_PATTERN)]
Country = Annotated[str, Field(pattern=COUNTRY_PATTERN, description="ISO 3166-1 alpha-2 code")]


class Sensitivity(StrEnum):
    ordinary = "ordinary"
    special = "special"  # GDPR Art. 9(1)
    criminal = "criminal"  # GDPR Art. 10
    sensitive_pi = "sensitive_pi"  # CPRA, Cal. Civ. Code §1798.140(ae)


class LegalBasis(StrEnum):
    """GDPR Art. 6(1)(a)–(f)."""

    consent = "consent"
    contract = "contract"
    legal_obligation = "legal_obligation"
    vital_interests = "vital_interests"
    public_task = "public_task"
    legitimate_interests = "legitimate_interests"


class Jurisdiction(StrEnum):
    gdpr = "gdpr"
    ccpa = "ccpa"
    fr = "fr"
    gr = "gr"
    de = "de"
    es = "es"
    it = "it"
    uk = "uk"


class Channel(StrEnum):
    email = "email"
    sms = "sms"
    phone = "phone"
    post = "post"
    web = "web"
    push = "push"


class ConsentCapture(StrEnum):
    """How a consent is collected (ISO/IEC TS 27560 collection method)."""

    web_form = "web_form"
    cookie_banner = "cookie_banner"
    email = "email"
    phone = "phone"
    paper = "paper"
    api = "api"
    in_app = "in_app"


class Address(Model):
    street: str
    city: str
    postal_code: str | None = None
    region: str | None = None
    country: Country

    def one_line(self) -> str:
        parts = [self.street, " ".join(p for p in (self.postal_code, self.city) if p)]
        if self.region:
            parts.append(self.region)
        parts.append(self.country)
        return ", ".join(parts)


class Contact(Model):
    name: str | None = None
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = None
    address: Address | None = None
    url: str | None = None


class Establishment(Model):
    name: str
    country: Country
    address: Address | None = None
    activities: str | None = None


class Authority(Model):
    name: str
    country: Country
    url: str | None = None
    address: Address | None = None


class RequestChannels(Model):
    """Where people exercise their rights; shown in the notice and the access report."""

    url: str | None = None
    email: str | None = None
    phone: str | None = None
    toll_free: str | None = Field(default=None, description="CCPA §1798.130(a)(1) toll-free number")
    post: Address | None = None


class NoticeInfo(Model):
    version: str = "1"
    last_updated: date | None = None
    languages: list[str] = Field(default_factory=lambda: ["en"])


class Organization(Model):
    name: str = Field(description="Legal name of the controller (Art. 30(1)(a))")
    trading_name: str | None = None
    registration: str | None = Field(default=None, description="Company registration number")
    address: Address
    contact: Contact
    website: str | None = None
    dpo: Contact | None = Field(default=None, description="Data protection officer (Art. 37–39)")
    representative: Contact | None = Field(
        default=None, description="EU representative when established outside the EU (Art. 27)"
    )
    establishments: list[Establishment] = Field(default_factory=list)
    lead_authority: Authority | None = Field(
        default=None, description="Lead supervisory authority (Art. 56)"
    )
    jurisdictions: list[Jurisdiction] = Field(min_length=1)
    requests: RequestChannels | None = None
    notice: NoticeInfo = Field(default_factory=NoticeInfo)
    security_measures: list[SecurityMeasure] = Field(
        default_factory=list,
        description="Technical and organisational security measures (Art. 30(1)(g), Art. 32): "
        "each a `{name, description}` (a bare string is a name without a description, which "
        "`lawful check` flags)",
    )
    browser_signals: BrowserSignals | None = Field(
        default=None,
        description="How the websites answer Do Not Track and Global Privacy Control "
        "(Cal. Bus. & Prof. Code §22575(b)(5), 11 CCR §7025)",
    )
    deidentified_data: DeidentifiedData | None = Field(
        default=None,
        description="De-identified and aggregated data, outside personal information "
        "(CCPA §1798.140(m), §1798.145(a)(6))",
    )
    sells_personal_information: bool = Field(
        default=False, description="Whether any purpose sells PI (CCPA §1798.120)"
    )


class Subject(Model):
    name: str
    description: str | None = None
    type: Id | None = Field(default=None, description="Taxonomy subject type, e.g. applicant")
    minimum_age: int | None = Field(default=None, ge=0, le=120)
    below_minimum_age: Literal["flag", "delete", "anonymize", "isolate"] = Field(
        default="flag",
        description="What retention sweeps do with the records of people younger than "
        "`minimum_age` (from a `demographic.birth_date` field): `flag` lists them for review; "
        "`delete`, `anonymize` or `isolate` apply that end action",
    )
    sources: list[str] = Field(
        default_factory=list, description="Where their data comes from (Art. 14(2)(f))"
    )


class Category(Model):
    name: str
    description: str | None = None
    sensitivity: Sensitivity = Sensitivity.ordinary
    ccpa: Id | None = Field(default=None, description="CCPA category, §1798.140(v)(1)")
    dpv: str | None = Field(default=None, description="W3C DPV term, e.g. pd:EmailAddress")
    free_text: bool = Field(
        default=False,
        description="Fields of this category hold free text (messages, notes, transcripts): "
        "access packages redact other people found in them (GDPR Art. 15(4)) and `erase: "
        "redact` may be used on them",
    )


class ConsentSpec(Model):
    capture: list[ConsentCapture] = Field(default_factory=list)
    withdrawal: str | None = Field(default=None, description="How the person withdraws consent")
    expires: str | None = Field(default=None, description="ISO 8601 duration a consent lasts")


class Purpose(Model):
    name: str
    description: str | None = None
    legal_basis: LegalBasis | None = Field(default=None, description="GDPR Art. 6(1)(a)–(f)")
    legitimate_interest: str | None = Field(
        default=None, description="The interest pursued, when the basis is Art. 6(1)(f)"
    )
    special_condition: Id | None = Field(
        default=None, description="GDPR Art. 9(2) condition for special categories"
    )
    criminal_condition: Id | None = Field(
        default=None, description="GDPR Art. 10 authorisation for criminal-record data"
    )
    subjects: list[Id] = Field(default_factory=list)
    categories: list[CategoryId] = Field(default_factory=list)
    recipients: list[Id] = Field(default_factory=list)
    direct_marketing: bool = False
    sale: bool = Field(default=False, description="Sells PI (CCPA §1798.140(ad))")
    sharing: bool = Field(
        default=False, description="Shares PI for cross-context ads (CCPA §1798.140(ah))"
    )
    channels: list[Channel] = Field(default_factory=list)
    service: bool = Field(
        default=False,
        description="Service communications (account, security, contract notices): sent on "
        "Art. 6(1)(b) or (c), never blocked by a channel opt-out",
    )
    consent: ConsentSpec | None = None
    automated_decisions: str | None = Field(
        default=None, description="Automated decision-making and its logic (Art. 22, 15(1)(h))"
    )
    controller: str = Field(default="us", pattern=r"^(us|client:[a-z][a-z0-9_]*)$")
    dpv: str | None = None
    provision: Provision | None = Field(
        default=None,
        description="Whether giving the data is a statutory or contractual requirement or one "
        "to enter a contract, whether the person must give it, and what happens if they do not "
        "(GDPR Art. 13(2)(e))",
    )
    dpia: PurposeDpia | None = Field(default=None, description="DPIA screening (Art. 35)")


class Connection(Model):
    """How Lawful reaches a system. Secrets live in environment variables, never in YAML."""

    type: Id = Field(description="Connector name: sqlite, postgresql, mysql, csv, jsonl, ...")
    url_env: str | None = Field(default=None, pattern=ENV_VAR_PATTERN)
    path: str | None = Field(default=None, description="File or directory for file connectors")
    options: dict[str, Any] = Field(default_factory=dict)


class System(Model):
    name: str
    description: str | None = None
    owner: str
    location: Country = Field(description="Country where the data is stored")
    vendor: Id | None = Field(default=None, description="Recipient id of the hosting processor")
    connection: Connection | None = None
    api_scopes: list[ApiScope] = Field(
        default_factory=list,
        description="API permissions (e.g. Google API scopes) this system is granted to read "
        "people's data in another service, each with why",
    )
    notify: Notify | None = Field(default=None, description="How the system is told of decisions")


class EraseStrategy(StrEnum):
    nullify = "nullify"
    replace_ = "replace"  # named so as not to shadow str.replace
    hash = "hash"
    random = "random"
    truncate_date = "truncate_date"
    keep = "keep"
    redact = "redact"  # free text: the person's identifiers (or every finding) replaced


REDACT_SCOPES = ("identifiers", "all")


class EraseSpec(Model):
    strategy: EraseStrategy
    value: str | None = Field(
        default=None,
        description="Replacement value for `replace`; `year` or `month` for `truncate_date`; "
        "for `redact`, `identifiers` (the person's own, the default) or `all` (every finding)",
    )

    @model_validator(mode="after")
    def _replace_needs_value(self) -> EraseSpec:
        if self.strategy is EraseStrategy.replace_ and self.value is None:
            raise ValueError("the `replace` strategy needs a `value`")
        if self.strategy is EraseStrategy.redact and self.value not in (None, *REDACT_SCOPES):
            raise ValueError("the `redact` strategy's `value` is `identifiers` or `all`")
        return self

    def redacts_everything(self) -> bool:
        return self.strategy is EraseStrategy.redact and self.value == "all"


class Reference(Model):
    """This field holds values of another dataset's field (a foreign key)."""

    to: str = Field(pattern=r"^[a-z][a-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$")
    direction: Literal["from", "to"] = Field(
        default="from",
        description="`from`: rows here are found from the referenced rows (parent → child); "
        "`to`: the referenced rows are found from rows here (child → parent)",
    )
    also: dict[str, str] = Field(
        default_factory=dict,
        description="A reference over several columns: the other fields of this dataset → "
        "the fields of the referenced dataset they hold, matched together with this field "
        "(e.g. `{item_no: item_no}` beside `to: order_items.order_id`)",
    )
    owner: bool = Field(
        default=False,
        description="This reference names whose rows these are: a row is the person's only "
        "when this link leads to the person (see docs/connectors.md, ownership)",
    )


class DataField(Model):
    category: CategoryId
    erase: EraseStrategy | EraseSpec | None = None
    references: Reference | None = None
    provided_by_subject: bool = Field(default=True, description="Counts for portability (Art. 20)")
    about_others: bool = Field(
        default=False, description="Holds data about other people: redacted in access packages"
    )
    free_text: bool | None = Field(
        default=None,
        description="Holds free text whatever its category says (`true`), or not (`false`); "
        "unset: as the category's `free_text` says",
    )
    description: str | None = None
    values: list[Scalar] | None = Field(
        default=None,
        description="The values the field may hold (a status: `[applied, rejected, hired]`), "
        "which retention conditions are checked against",
    )

    @field_validator("references", mode="before")
    @classmethod
    def _short_reference(cls, value: object) -> object:
        return {"to": value} if isinstance(value, str) else value

    def erase_spec(self) -> EraseSpec | None:
        if isinstance(self.erase, EraseStrategy):
            return EraseSpec(strategy=self.erase)
        return self.erase


class Dataset(Model):
    system: Id
    table: str | None = Field(default=None, description="Table, collection or file name")
    description: str | None = None
    subject: Id
    controller: str = Field(default="us", pattern=r"^(us|client:[a-z][a-z0-9_]*)$")
    primary_key: str | Annotated[list[str], Field(min_length=1)] = Field(
        default="id",
        description="The field that tells rows apart, or a list of fields for a key over "
        "several columns (`[order_id, item_no]`); it must be unique in the store",
    )
    identities: dict[Id, str | Annotated[list[str], Field(min_length=1)]] = Field(
        default_factory=dict,
        description="Identity type (email, phone, ani, ...) → field name, or a list of field "
        "names when several columns hold that identity (every one is searched)",
    )
    fields: dict[str, DataField] = Field(min_length=1)
    purposes: list[Id] = Field(default_factory=list)
    events: dict[Id, str] = Field(
        default_factory=dict,
        description="Event name → date field, for retention periods; or `dataset.field`, a "
        "date of the row this one references (`placed: orders.placed_at` on order lines "
        "with a reference to `orders`): its rows count from their parent row's date (SQL "
        "datastores in the same system; see docs/retention.md)",
    )
    erase: Literal["mask", "delete"] = Field(
        default="mask", description="Mask fields per strategy, or delete whole rows"
    )
    source: str | None = Field(default=None, description="Where the data came from")
    notify: Notify | None = Field(
        default=None, description="How its system is told of decisions (overrides the system's)"
    )

    def client_id(self) -> str | None:
        return self.controller.removeprefix("client:") if self.controller != "us" else None

    def key_fields(self) -> tuple[str, ...]:
        """The primary key as a tuple of field names (one for a single-column key)."""
        key = self.primary_key
        return (key,) if isinstance(key, str) else tuple(key)

    def identity_fields(self) -> dict[str, tuple[str, ...]]:
        """Identity type → every field holding it."""
        return {
            kind: (names,) if isinstance(names, str) else tuple(names)
            for kind, names in self.identities.items()
        }


class TransferMechanism(StrEnum):
    adequacy = "adequacy"  # Art. 45
    dpf = "dpf"  # EU-US Data Privacy Framework, adequacy decision of 10 July 2023
    scc = "scc"  # Art. 46(2)(c)
    bcr = "bcr"  # Art. 47
    derogation = "derogation"  # Art. 49
    privacy_shield = "privacy_shield"  # invalid since CJEU C-311/18 (16 July 2020)
    none = "none"


class Transfer(Model):
    mechanism: TransferMechanism
    note: str | None = None


class RecipientRole(StrEnum):
    processor = "processor"
    sub_processor = "sub_processor"
    controller = "controller"
    joint_controller = "joint_controller"
    authority = "authority"
    partner = "partner"
    client = "client"
    affiliate = "affiliate"  # a company of our group
    acquirer = "acquirer"  # a buyer or successor in a merger, acquisition or sale of assets


class Recipient(Model):
    name: str
    role: RecipientRole
    country: Country
    description: str | None = None
    transfer: Transfer | None = None
    purposes: list[Id] = Field(default_factory=list)
    categories: list[CategoryId] = Field(default_factory=list)
    sale: bool = False
    sharing: bool = False
    business_purpose: str | None = Field(default=None, description="CCPA §1798.140(e)")
    opendsr: RecipientOpenDsr | None = Field(
        default=None, description="Our erasure and access requests go to it by OpenDSR"
    )
    api_scopes: list[ApiScope] = Field(
        default_factory=list,
        description="API permissions (e.g. Google API scopes) this recipient is granted over "
        "people's accounts, each with why",
    )


class RetentionScope(Model):
    datasets: list[Id] = Field(default_factory=list)
    subjects: list[Id] = Field(default_factory=list)
    categories: list[CategoryId] = Field(default_factory=list)
    purposes: list[Id] = Field(default_factory=list)

    def covers(self, dataset_id: str, dataset: Dataset) -> bool:
        """Named datasets win; otherwise every listed dimension (subjects, purposes,
        categories) must match the dataset. An empty scope covers nothing."""
        if self.datasets:
            return dataset_id in self.datasets
        matches = []
        if self.subjects:
            matches.append(dataset.subject in self.subjects)
        if self.purposes:
            matches.append(bool(set(self.purposes) & set(dataset.purposes)))
        if self.categories:
            matches.append(any(f.category in self.categories for f in dataset.fields.values()))
        return bool(matches) and all(matches)


class RetentionAction(StrEnum):
    delete = "delete"
    anonymize = "anonymize"
    isolate = "isolate"


class RetentionRule(Model):
    description: str | None = None
    applies_to: RetentionScope
    period: str = Field(description="ISO 8601 duration, e.g. P3Y")
    start: str = Field(description="Event name (dataset `events`) or date field it counts from")
    action: RetentionAction = RetentionAction.delete
    legal_basis: LegalBasis | None = None
    legal_obligation: bool = Field(
        default=False, description="Kept to comply with a law: survives erasure (Art. 17(3)(b))"
    )
    citation: str | None = None
    where: Where = Field(
        default_factory=dict,
        description="Only the records whose fields meet these conditions (`{status: rejected}`; "
        "see docs/retention.md, conditions)",
    )
    hand_over: list[HandOver] = Field(
        default_factory=list,
        description="Records that meet `when` are governed by rule `to` instead "
        "(`{when: {status: hired}, to: personnel_files}`)",
    )

    @field_validator("hand_over", mode="before")
    @classmethod
    def _one_hand_over(cls, value: object) -> object:
        return [value] if isinstance(value, dict) else value

    @field_validator("period")
    @classmethod
    def _iso_duration(cls, value: str) -> str:
        if not DURATION_RE.match(value):
            raise ValueError(f"{value!r} is not an ISO 8601 duration like P3Y, P6M or P30D")
        return value


class ForwardMethod(StrEnum):
    email = "email"
    webhook = "webhook"
    opendsr = "opendsr"


# The methods Lawful sends by itself; any other forward is a to-do staff record (L014).
AUTOMATED_FORWARDS = frozenset({ForwardMethod.email, ForwardMethod.webhook})


class ClientForward(Model):
    method: ForwardMethod
    address: str = Field(description="Email address or URL")
    secret_env: str | None = Field(default=None, pattern=ENV_VAR_PATTERN)


class Client(Model):
    name: str
    contact: Contact
    dpo: Contact | None = Field(default=None, description="The client's DPO (Art. 30(2)(a))")
    representative: Contact | None = Field(
        default=None, description="The client's EU representative (Art. 27, 30(2)(a))"
    )
    forward: ClientForward
    residency: list[str] = Field(
        min_length=1, description="Countries (ISO codes) where its data may be stored; EEA allowed"
    )
    services: str | None = Field(default=None, description="What we do for this client")


class TrackerCategory(StrEnum):
    strictly_necessary = "strictly_necessary"
    audience_measurement = "audience_measurement"
    personalisation = "personalisation"
    advertising = "advertising"


class Tracker(Model):
    name: str
    provider: str
    category: TrackerCategory
    lifetime: str = Field(description="ISO 8601 duration")
    description: str | None = None
    recipient: Id | None = None
    cnil_exempt: bool = Field(default=False, description="CNIL-exempt audience measurement")


class Checks(Model):
    ignore: list[str] = Field(default_factory=list, description="Check codes to skip")


class DataMap(Model):
    """The whole data map, after includes are merged."""

    version: Literal[1] = 1
    organization: Organization
    subjects: dict[Id, Subject] = Field(default_factory=dict)
    categories: dict[CategoryId, Category] = Field(
        default_factory=dict, description="Additions to the default taxonomy"
    )
    purposes: dict[Id, Purpose] = Field(default_factory=dict)
    systems: dict[Id, System] = Field(default_factory=dict)
    datasets: dict[Id, Dataset] = Field(default_factory=dict)
    recipients: dict[Id, Recipient] = Field(default_factory=dict)
    retention: dict[Id, RetentionRule] = Field(default_factory=dict)
    clients: dict[Id, Client] = Field(default_factory=dict)
    trackers: dict[Id, Tracker] = Field(default_factory=dict)
    banner: CookieBanner = Field(
        default_factory=CookieBanner, description="Texts and colours of the cookie banner"
    )
    checks: Checks = Field(default_factory=Checks)
