"""Ages the law sets for children's consent to online services."""

from __future__ import annotations

from lawful.datamap.models import Jurisdiction

# Age below which a child's consent to an information-society service needs a parent's
# (GDPR Art. 8(1): 16 unless a member state sets 13 to 15), as each jurisdiction sets it.
DIGITAL_CONSENT_AGE: dict[Jurisdiction, tuple[int, str]] = {
    Jurisdiction.gdpr: (16, "GDPR Art. 8(1)"),
    Jurisdiction.fr: (15, "Loi Informatique et Libertés art. 45"),
    Jurisdiction.gr: (15, "Law 4624/2019 art. 21"),
    Jurisdiction.de: (16, "GDPR Art. 8(1); Germany sets no lower age"),
    Jurisdiction.es: (14, "LOPDGDD art. 7"),
    Jurisdiction.it: (14, "Codice privacy art. 2-quinquies"),
    Jurisdiction.uk: (13, "Data Protection Act 2018 s. 9"),
}
