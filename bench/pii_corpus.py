"""The labelled free-text set `bench/pii.py` measures: contact-center tickets, CV snippets and
interview or call notes in English, French and Greek, made with Faker (en_US, fr_FR, el_GR)
from a fixed seed, so every run regenerates the same texts and the same gold spans.

A document is built from fragments: plain text, or an entity slot whose value is drawn and
whose span is recorded as it is appended. Values are drawn as people write them (phones
with and without the country code, IBANs and cards grouped by four or not, NINOs spaced
or not). Dates that are not dates of birth (ticket opened, interview held) and numbers that
are no identifier (order and ticket numbers, amounts, versions) are there unlabelled, as
in real notes. National identifiers come with a valid check digit, drawn by Faker where its
locale has a correct generator, else computed here with each issuer's rule.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from faker import Faker

LOCALES = {"en": "en_US", "fr": "fr_FR", "el": "el_GR"}


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    entity: str


@dataclass
class Document:
    kind: str
    language: str
    text: str = ""
    spans: list[Span] = field(default_factory=list)

    def add(self, fragment: str, entity: str | None = None) -> None:
        if entity is not None:
            self.spans.append(Span(len(self.text), len(self.text) + len(fragment), entity))
        self.text += fragment


_MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "el": [
        "Ιανουαρίου",
        "Φεβρουαρίου",
        "Μαρτίου",
        "Απριλίου",
        "Μαΐου",
        "Ιουνίου",
        "Ιουλίου",
        "Αυγούστου",
        "Σεπτεμβρίου",
        "Οκτωβρίου",
        "Νοεμβρίου",
        "Δεκεμβρίου",
    ],
}


class Values:
    """Draws entity values for one language, from one seeded random source."""

    def __init__(self, language: str, rng: random.Random) -> None:
        self.language, self.rng = language, rng
        self.fake = Faker(LOCALES[language])
        self.fake.seed_instance(rng.randrange(2**32))
        self.es, self.it = Faker("es_ES"), Faker("it_IT")
        self.es.seed_instance(rng.randrange(2**32))
        self.it.seed_instance(rng.randrange(2**32))

    def person(self) -> str:
        return f"{self.fake.first_name()} {self.fake.last_name()}"

    def email(self) -> str:
        return self.fake.email()

    def phone(self) -> str:
        number = self.fake.phone_number()
        return number.split("x")[0].rstrip(" .-")  # Faker's US extensions: the line itself

    def iban(self) -> str:
        value = self.fake.iban()
        if self.rng.random() < 0.5:
            value = " ".join(value[i : i + 4] for i in range(0, len(value), 4))
        return value

    def card(self) -> str:
        value = self.fake.credit_card_number()
        if len(value) == 16 and self.rng.random() < 0.5:
            value = " ".join(value[i : i + 4] for i in range(0, 16, 4))
        return value

    def ip(self) -> str:
        return self.fake.ipv4_public() if self.rng.random() < 0.8 else self.fake.ipv6()

    def birth_date(self) -> str:
        born = self.fake.date_of_birth(minimum_age=18, maximum_age=80)
        return format_date(born, self.language, self.rng)

    def other_date(self) -> str:
        day = self.fake.date_between(date(2023, 1, 1), date(2026, 11, 30))
        return format_date(day, self.language, self.rng)

    def street(self) -> str:
        return self.fake.street_address()

    def postcode(self) -> str:
        return self.fake.postcode().removeprefix("ΤΚ ")

    def city(self) -> str:
        return self.fake.city()

    def fr_nir(self) -> str:
        return fr_nir(self.rng)

    def gr_amka(self) -> str:
        return gr_amka(self.rng)

    def gr_afm(self) -> str:
        return gr_afm(self.rng)

    def es_dni(self) -> str:
        return self.es.nif() if self.rng.random() < 0.7 else self.es.nie()

    def it_fiscal_code(self) -> str:
        return str(self.it.ssn())

    def us_ssn(self) -> str:
        return us_ssn(self.rng)

    def uk_nino(self) -> str:
        return uk_nino(self.rng)


def format_date(day: date, language: str, rng: random.Random) -> str:
    style = rng.randrange(3)
    if style == 0:
        return day.isoformat()
    if style == 1:
        return f"{day:%m/%d/%Y}" if language == "en" else f"{day:%d/%m/%Y}"
    month = _MONTHS[language][day.month - 1]
    if language == "en":
        return f"{month} {day.day}, {day.year}"
    return f"{day.day} {month} {day.year}"


def _luhn_digit(body: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10


def fr_nir(rng: random.Random) -> str:
    """INSEE's key: 97 - (the 13 digits mod 97)."""
    body = (
        f"{rng.choice('12')}{rng.randrange(40, 100):02d}{rng.randrange(1, 13):02d}"
        f"{rng.randrange(1, 96):02d}{rng.randrange(1, 990):03d}{rng.randrange(1, 999):03d}"
    )
    key = 97 - int(body) % 97
    parts = [body[0], body[1:3], body[3:5], body[5:7], body[7:10], body[10:13], f"{key:02d}"]
    return " ".join(parts) if rng.random() < 0.5 else "".join(parts)


def gr_amka(rng: random.Random) -> str:
    """DDMMYY, four digits, a Luhn check digit."""
    body = f"{rng.randrange(1, 29):02d}{rng.randrange(1, 13):02d}{rng.randrange(100):02d}"
    body += f"{rng.randrange(10000):04d}"
    return body + str(_luhn_digit(body))


def gr_afm(rng: random.Random) -> str:
    """Eight digits, then (Σ dᵢ·2^(9-i)) mod 11 mod 10."""
    body = f"{rng.randrange(1, 10)}{rng.randrange(10**7):07d}"
    total = sum(int(d) << (8 - i) for i, d in enumerate(body))
    return body + str(total % 11 % 10)


def us_ssn(rng: random.Random) -> str:
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{rng.randrange(1, 100):02d}-{rng.randrange(1, 10000):04d}"


def uk_nino(rng: random.Random) -> str:
    letters = "ABCEGHJKLMNPRSTWXYZ"
    prefix = rng.choice(letters) + rng.choice(letters.replace("O", ""))
    while prefix in {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}:
        prefix = rng.choice(letters) + rng.choice(letters)
    digits = f"{rng.randrange(10**6):06d}"
    suffix = rng.choice("ABCD")
    if rng.random() < 0.5:
        return f"{prefix} {digits[:2]} {digits[2:4]} {digits[4:]} {suffix}"
    return f"{prefix}{digits}{suffix}"


# A template is a list of fragments: a string is plain text; ("ENTITY", draw) is a slot; a
# callable alone draws unlabelled text (a distractor).
Slot = tuple[str, Callable[[Values], str]]
Fragment = str | Slot | Callable[[Values], str]

P: Slot = ("PERSON", Values.person)
EMAIL: Slot = ("EMAIL", Values.email)
PHONE: Slot = ("PHONE_NUMBER", Values.phone)
IBAN: Slot = ("IBAN", Values.iban)
CARD: Slot = ("CREDIT_CARD", Values.card)
IP: Slot = ("IP_ADDRESS", Values.ip)
DOB: Slot = ("DATE_OF_BIRTH", Values.birth_date)
STREET: Slot = ("ADDRESS", Values.street)
POST: Slot = ("POSTAL_CODE", Values.postcode)
NIR: Slot = ("FR_NIR", Values.fr_nir)
AMKA: Slot = ("GR_AMKA", Values.gr_amka)
AFM: Slot = ("GR_AFM", Values.gr_afm)
DNI: Slot = ("ES_DNI", Values.es_dni)
CF: Slot = ("IT_FISCAL_CODE", Values.it_fiscal_code)
SSN: Slot = ("US_SSN", Values.us_ssn)
NINO: Slot = ("UK_NINO", Values.uk_nino)


def _ticket_no(v: Values) -> str:
    return str(v.rng.randrange(100000, 9999999))


def _amount(v: Values) -> str:
    return f"{v.rng.randrange(5, 2000)}.{v.rng.randrange(100):02d}"


def _version(v: Values) -> str:
    return f"{v.rng.randrange(1, 20)}.{v.rng.randrange(10)}.{v.rng.randrange(30)}"


def _city(v: Values) -> str:
    return v.city()


def _other_date(v: Values) -> str:
    return v.other_date()


TEMPLATES: dict[str, dict[str, list[list[Fragment]]]] = {
    "en": {
        "ticket": [
            ["Ticket #", _ticket_no, " opened ", _other_date, ". Customer ", P, " (", EMAIL,
             ") called from ", PHONE, " about a double charge of $", _amount, " on card ", CARD,
             ". Please refund to IBAN ", IBAN, ". Login attempts came from IP ", IP, ".\n"],
            ["Hi, this is ", P, ". My new address is ", STREET, ", ", _city, ", NY ", POST,
             ". My date of birth is ", DOB, " and my SSN is ", SSN, ". You can reach me at ",
             PHONE, " or ", EMAIL, ". The app (version ", _version, ") keeps crashing.\n"],
            ["Agent note: caller said her husband ", P, " placed order ", _ticket_no,
             " for $", _amount, ". Verified with NI number ", NINO, " and date of birth ", DOB,
             ". Callback requested on ", PHONE, ".\n"],
        ],
        "cv": [
            [P, "\n", STREET, ", ", _city, " ", POST, "\n", PHONE, " | ", EMAIL,
             "\nBorn ", DOB, "\nExperience: team lead at a contact center since ", _other_date,
             ". References: ", P, " (", EMAIL, ").\n"],
        ],
        "notes": [
            ["Interview on ", _other_date, " with ", P, ". Candidate mentioned working with ",
             P, " and ", P, ". Payroll details: IBAN ", IBAN, ", SSN ", SSN,
             ". Phone ", PHONE, ". Home: ", STREET, ".\n"],
            ["Call summary: ", P, " asked to update the card on file to ", CARD,
             " and the e-mail to ", EMAIL, ". Last login from ", IP, " on ", _other_date, ".\n"],
        ],
    },
    "fr": {
        "ticket": [
            ["Ticket n° ", _ticket_no, " ouvert le ", _other_date, ". Le client ", P, " (",
             EMAIL, ") a appelé depuis le ", PHONE, " pour un double prélèvement de ",
             _amount, " € sur la carte ", CARD, ". Merci de rembourser sur l'IBAN ", IBAN,
             ". Connexions depuis l'adresse IP ", IP, ".\n"],
            ["Bonjour, je m'appelle ", P, ". Ma nouvelle adresse : ", STREET, ", ", POST, " ",
             _city, ". Je suis née le ", DOB, ", numéro de sécurité sociale ", NIR,
             ". Vous pouvez me joindre au ", PHONE, " ou par mail à ", EMAIL, ".\n"],
            ["Note de l'agent : la cliente dit que son frère ", P,
             " a passé la commande ", _ticket_no, ". DNI ", DNI, " vérifié. Rappel au ",
             PHONE, ".\n"],
        ],
        "cv": [
            [P, "\n", STREET, "\n", POST, " ", _city, "\nTél. : ", PHONE, " — ", EMAIL,
             "\nNé le ", DOB, "\nExpérience : conseiller clientèle depuis le ", _other_date,
             ". Référence : ", P, " (", PHONE, ").\n"],
        ],
        "notes": [
            ["Entretien du ", _other_date, " avec ", P, ". La candidate a travaillé avec ",
             P, " et ", P, ". Coordonnées bancaires : IBAN ", IBAN, ". Codice fiscale ",
             CF, ". Domicile : ", STREET, ", ", POST, " ", _city, ".\n"],
            ["Compte rendu d'appel : ", P, " demande de remplacer la carte ", CARD,
             " et l'adresse e-mail par ", EMAIL, ". Dernière connexion depuis ", IP,
             " le ", _other_date, ".\n"],
        ],
    },
    "el": {
        "ticket": [
            ["Αίτημα ", _ticket_no, " της ", _other_date, ". Ο πελάτης ", P, " (", EMAIL,
             ") τηλεφώνησε από το ", PHONE, " για διπλή χρέωση ", _amount,
             " € στην κάρτα ", CARD, ". Επιστροφή στο IBAN ", IBAN, ". Συνδέσεις από τη IP ",
             IP, ".\n"],
            ["Καλησπέρα, είμαι η ", P, ". Νέα διεύθυνση: ", STREET, ", ", POST, " ", _city,
             ". Ημερομηνία γέννησης ", DOB, ", ΑΜΚΑ ", AMKA, ", ΑΦΜ ", AFM,
             ". Τηλέφωνο ", PHONE, ", email ", EMAIL, ".\n"],
        ],
        "cv": [
            [P, "\n", STREET, ", ", POST, " ", _city, "\nΤηλ. ", PHONE, " · ", EMAIL,
             "\nΓεννήθηκα ", DOB, "\nΕμπειρία: εκπρόσωπος εξυπηρέτησης από ", _other_date,
             ". Συστάσεις: ", P, " (", EMAIL, ").\n"],
        ],
        "notes": [
            ["Συνέντευξη στις ", _other_date, " με τον ", P, ". Ανέφερε συνεργασία με τον ",
             P, " και την ", P, ". Τραπεζικά στοιχεία: IBAN ", IBAN, ", ΑΦΜ ", AFM,
             ". Κινητό ", PHONE, ".\n"],
            ["Σημείωμα κλήσης: ο ", P, " ζήτησε αλλαγή της κάρτας σε ", CARD,
             " και του email σε ", EMAIL, ". Τελευταία σύνδεση από ", IP, ".\n"],
        ],
    },
}  # fmt: skip


def generate(*, documents: int, seed: int) -> list[Document]:
    """`documents` labelled texts, a third per language, the same for the same seed."""
    rng = random.Random(seed)
    values = {language: Values(language, rng) for language in LOCALES}
    made: list[Document] = []
    for n in range(documents):
        language = list(LOCALES)[n % len(LOCALES)]
        kind = rng.choice(list(TEMPLATES[language]))
        template = rng.choice(TEMPLATES[language][kind])
        document = Document(kind, language)
        for fragment in template:
            if isinstance(fragment, str):
                document.add(fragment)
            elif isinstance(fragment, tuple):
                entity, draw = fragment
                document.add(draw(values[language]), entity)
            else:
                document.add(fragment(values[language]))
        made.append(document)
    return made
