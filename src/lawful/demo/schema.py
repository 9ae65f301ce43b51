"""The example company's databases: one SQLite file per system of the example data map.

Every table here is a dataset of `examples/contact-center/lawful.yaml` and every column one
of its fields (a test holds the two together). Indexed columns are the identities and the
references, which is what a rights request looks rows up by.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, SQL declaration)
    indexes: tuple[str, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    def create_sql(self) -> str:
        body = ", ".join(f"{name} {declaration}" for name, declaration in self.columns)
        return f"CREATE TABLE {self.name} ({body})"

    def insert_sql(self) -> str:
        marks = ", ".join("?" * len(self.columns))
        return f"INSERT INTO {self.name} VALUES ({marks})"  # noqa: S608 — names are constants

    def index_sql(self) -> list[str]:
        return [f"CREATE INDEX ix_{self.name}_{col} ON {self.name} ({col})" for col in self.indexes]


def table(name: str, columns: str, *, indexes: str = "") -> Table:
    """`columns` reads like SQL: `id INTEGER PRIMARY KEY, email TEXT NOT NULL, ...`."""
    parsed = []
    for part in columns.split(","):
        column, _, declaration = part.strip().partition(" ")
        parsed.append((column, declaration))
    return Table(name=name, columns=tuple(parsed), indexes=tuple(indexes.split()))


PERSON = """first_name TEXT NOT NULL, last_name TEXT NOT NULL, email TEXT NOT NULL,
    phone TEXT, street_address TEXT, postal_code TEXT, city TEXT, country TEXT"""

ATS = (
    table(
        "candidates",
        f"""candidate_id INTEGER PRIMARY KEY, {PERSON}, birth_date TEXT, source TEXT,
        status TEXT NOT NULL, created_at TEXT NOT NULL, last_activity_at TEXT NOT NULL,
        employment_ended_on TEXT""",
        indexes="email phone",
    ),
    table(
        "applications",
        """application_id INTEGER PRIMARY KEY, candidate_id INTEGER NOT NULL, job_title TEXT,
        site TEXT, cover_letter TEXT, expected_salary INTEGER, submitted_at TEXT NOT NULL,
        decision TEXT, decided_at TEXT""",
        indexes="candidate_id",
    ),
    table(
        "interviews",
        """interview_id INTEGER PRIMARY KEY, application_id INTEGER NOT NULL,
        interviewer_id INTEGER, channel TEXT, scheduled_at TEXT NOT NULL, notes TEXT,
        score INTEGER""",
        indexes="application_id",
    ),
    table(
        "background_checks",
        """check_id INTEGER PRIMARY KEY, candidate_id INTEGER NOT NULL, vendor_reference TEXT,
        criminal_record_result TEXT, criminal_record_details TEXT, requested_at TEXT NOT NULL,
        completed_at TEXT""",
        indexes="candidate_id",
    ),
    table(
        "equal_opportunity_surveys",
        """survey_id INTEGER PRIMARY KEY, candidate_id INTEGER NOT NULL, gender TEXT,
        age_band TEXT, disability TEXT, adjustments_requested TEXT, submitted_at TEXT NOT NULL""",
        indexes="candidate_id",
    ),
    table(
        "id_proofs",
        """proof_id INTEGER PRIMARY KEY, candidate_id INTEGER NOT NULL, document_type TEXT,
        document_number TEXT, nationality TEXT, expires_on TEXT, scan_path TEXT,
        collected_at TEXT NOT NULL, verified_at TEXT""",
        indexes="candidate_id",
    ),
)

HRIS = (
    table(
        "employees",
        """employee_id INTEGER PRIMARY KEY, employee_number TEXT NOT NULL, first_name TEXT NOT NULL,
        last_name TEXT NOT NULL, work_email TEXT NOT NULL, personal_email TEXT, phone TEXT,
        birth_date TEXT, street_address TEXT, postal_code TEXT, city TEXT, country TEXT,
        social_security_number TEXT, job_title TEXT, site TEXT, hired_on TEXT NOT NULL,
        left_on TEXT""",
        indexes="employee_number work_email personal_email phone",
    ),
    table(
        "payslips",
        """payslip_id INTEGER PRIMARY KEY, employee_id INTEGER NOT NULL, period TEXT NOT NULL,
        gross_pay_cents INTEGER, net_pay_cents INTEGER, iban TEXT, paid_on TEXT NOT NULL""",
        indexes="employee_id",
    ),
    table(
        "time_entries",
        """entry_id INTEGER PRIMARY KEY, employee_id INTEGER NOT NULL, work_date TEXT NOT NULL,
        clock_in TEXT, clock_out TEXT, break_minutes INTEGER""",
        indexes="employee_id",
    ),
    table(
        "emergency_contacts",
        """emergency_contact_id INTEGER PRIMARY KEY, employee_id INTEGER NOT NULL,
        full_name TEXT, relationship TEXT, phone TEXT, added_at TEXT NOT NULL,
        confirmed_at TEXT NOT NULL""",
        indexes="employee_id",
    ),
)

CRM = (
    table(
        "accounts",
        """account_id INTEGER PRIMARY KEY, account_number TEXT NOT NULL, company_name TEXT,
        vat_number TEXT, billing_email TEXT, street_address TEXT, postal_code TEXT, city TEXT,
        country TEXT, account_manager_id INTEGER, created_at TEXT NOT NULL, closed_at TEXT""",
        indexes="account_number",
    ),
    table(
        "contacts",
        """contact_id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, first_name TEXT NOT NULL,
        last_name TEXT NOT NULL, email TEXT NOT NULL, phone TEXT, job_title TEXT,
        mailing_address TEXT, created_at TEXT NOT NULL, last_contact_at TEXT NOT NULL""",
        indexes="account_id email phone",
    ),
)

BILLING = (
    table(
        "contracts",
        """contract_id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL,
        signatory_contact_id INTEGER NOT NULL, reference TEXT NOT NULL, service TEXT,
        monthly_fee_cents INTEGER, signed_on TEXT NOT NULL, starts_on TEXT NOT NULL,
        ends_on TEXT NOT NULL""",
        indexes="account_id signatory_contact_id",
    ),
    table(
        "invoices",
        """invoice_id INTEGER PRIMARY KEY, contract_id INTEGER NOT NULL,
        invoice_number TEXT NOT NULL, billed_to TEXT, billing_address TEXT,
        amount_excl_tax_cents INTEGER, vat_cents INTEGER, issued_on TEXT NOT NULL, due_on TEXT,
        paid_on TEXT""",
        indexes="contract_id",
    ),
    table(
        "payment_cards",
        """card_id INTEGER PRIMARY KEY, contact_id INTEGER NOT NULL, cardholder_name TEXT,
        card_fingerprint TEXT NOT NULL, card_last4 TEXT, card_expiry TEXT,
        added_on TEXT NOT NULL""",
        indexes="contact_id",
    ),
)

MARKETING = (
    table(
        "prospects",
        """prospect_id INTEGER PRIMARY KEY, email TEXT NOT NULL, first_name TEXT, last_name TEXT,
        company_name TEXT, job_title TEXT, phone TEXT, country TEXT, source TEXT,
        consent_at TEXT, consent_notice_version TEXT, unsubscribed_at TEXT,
        created_at TEXT NOT NULL, last_contact_at TEXT NOT NULL""",
        indexes="email phone",
    ),
    table(
        "campaign_sends",
        """send_id INTEGER PRIMARY KEY, prospect_id INTEGER NOT NULL, campaign TEXT NOT NULL,
        sent_at TEXT NOT NULL, opened_at TEXT, clicked_at TEXT""",
        indexes="prospect_id",
    ),
)

WEB = (
    table(
        "visitors",
        """visitor_id INTEGER PRIMARY KEY, cookie_id TEXT NOT NULL, consent_choice TEXT,
        consent_at TEXT, country TEXT, first_seen_at TEXT NOT NULL, last_seen_at TEXT NOT NULL""",
        indexes="cookie_id",
    ),
    table(
        "page_views",
        """view_id INTEGER PRIMARY KEY, visitor_id INTEGER NOT NULL, ip_address TEXT,
        user_agent TEXT, page_url TEXT NOT NULL, referrer TEXT, viewed_at TEXT NOT NULL""",
        indexes="visitor_id",
    ),
)

# The contact platform holds clients' data (we are their processor, GDPR Art. 28); each
# client's data lives in its own instance, in a country its contract allows.
CONTACT_PLATFORM = (
    table(
        "customers",
        f"""customer_id INTEGER PRIMARY KEY, customer_number TEXT NOT NULL, {PERSON},
        created_at TEXT NOT NULL""",
        indexes="customer_number email phone",
    ),
    table(
        "calls",
        """call_id INTEGER PRIMARY KEY, customer_id INTEGER, ani TEXT, dialed_number TEXT,
        direction TEXT NOT NULL, agent_id INTEGER, started_at TEXT NOT NULL,
        duration_seconds INTEGER, wrap_up_code TEXT""",
        indexes="customer_id ani dialed_number",
    ),
    table(
        "call_recordings",
        """recording_id INTEGER PRIMARY KEY, call_id INTEGER NOT NULL, audio_path TEXT NOT NULL,
        duration_seconds INTEGER, transcript_excerpt TEXT, recorded_at TEXT NOT NULL""",
        indexes="call_id",
    ),
    table(
        "ivr_transactions",
        """transaction_id INTEGER PRIMARY KEY, call_id INTEGER NOT NULL, intent TEXT NOT NULL,
        card_token TEXT, card_last4 TEXT, amount_cents INTEGER, outcome TEXT,
        occurred_at TEXT NOT NULL""",
        indexes="call_id",
    ),
    table(
        "agent_screenshots",
        """screenshot_id INTEGER PRIMARY KEY, call_id INTEGER NOT NULL, agent_id INTEGER,
        image_path TEXT NOT NULL, captured_at TEXT NOT NULL""",
        indexes="call_id",
    ),
    table(
        "tickets",
        """ticket_id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, subject TEXT,
        channel TEXT, status TEXT NOT NULL, opened_at TEXT NOT NULL, closed_at TEXT""",
        indexes="customer_id",
    ),
    table(
        "ticket_messages",
        """message_id INTEGER PRIMARY KEY, ticket_id INTEGER NOT NULL, author TEXT NOT NULL,
        body TEXT, sent_at TEXT NOT NULL""",
        indexes="ticket_id",
    ),
)

SYSTEMS: dict[str, tuple[Table, ...]] = {
    "ats": ATS,
    "hris": HRIS,
    "crm": CRM,
    "billing": BILLING,
    "marketing": MARKETING,
    "web": WEB,
    "contact_eu": CONTACT_PLATFORM,
    "contact_us": CONTACT_PLATFORM,
}


def database_file(system: str) -> str:
    """The file name of a system's database, as the map's `connection.path` gives it."""
    return f"{system}.sqlite"
