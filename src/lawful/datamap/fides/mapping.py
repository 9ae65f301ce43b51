"""The fideslang → Lawful category mapping (documented in docs/fides.md), and the ids
Lawful gives to Fides names."""

from __future__ import annotations

import re

# --- the category mapping -------------------------------------------------------------------

# fideslang data category → Lawful default-taxonomy category. A key not listed here is looked
# up by its parents (`user.contact.address.county` → `user.contact.address`), stopping before
# the bare root `user`, which says nothing about what the field holds.
FIDES_TO_LAWFUL: dict[str, str] = {
    "user.account": "account",
    "user.account.settings": "preference",
    "user.account.username": "account.username",
    "user.authorization": "account.credentials",
    "user.credentials": "account.credentials",
    "user.credentials.biometric_credentials": "special.biometric",  # GDPR Art. 9(1)
    "user.behavior": "online_activity",
    "user.behavior.browsing_history": "online_activity.browsing",
    "user.behavior.search_history": "online_activity.browsing",
    "user.behavior.purchase_history": "commercial.purchase",
    "user.browsing_history": "online_activity.browsing",
    "user.search_history": "online_activity.browsing",
    "user.media_consumption": "online_activity",
    "user.observed": "online_activity",
    "user.telemetry": "online_activity.product_usage",
    "user.biometric": "special.biometric",  # GDPR Art. 9(1)
    "user.biometric.health": "special.health",  # GDPR Art. 9(1)
    "user.biometric_health": "special.health",
    "user.contact": "contact",
    "user.contact.address": "contact.postal_address",
    "user.contact.street": "contact.postal_address",  # fideslang 1.x address parts
    "user.contact.city": "contact.postal_address",
    "user.contact.state": "contact.postal_address",
    "user.contact.postal_code": "contact.postal_address",
    "user.contact.country": "contact.postal_address",
    "user.contact.email": "contact.email",
    "user.contact.phone_number": "contact.phone",
    "user.contact.fax_number": "contact.phone",
    "user.contact.organization": "professional.job_title",
    "user.content": "communication",
    "user.content.private": "communication.private_content",  # CPRA §1798.140(ae)(1)(E)
    "user.content.self_image": "photo",
    "user.demographic": "demographic",
    "user.demographic.age_range": "demographic.age",
    "user.demographic.date_of_birth": "demographic.birth_date",
    "user.demographic.gender": "demographic.gender",
    "user.demographic.marital_status": "demographic.marital_status",
    "user.demographic.profile": "inference.profile",
    "user.demographic.political_opinion": "special.political_opinion",  # GDPR Art. 9(1)
    "user.demographic.race_ethnicity": "special.racial_ethnic_origin",
    "user.demographic.religious_belief": "special.religious_belief",
    "user.demographic.sexual_orientation": "special.sexual_orientation",
    "user.date_of_birth": "demographic.birth_date",
    "user.gender": "demographic.gender",
    "user.non_specific_age": "demographic.age",
    "user.political_opinion": "special.political_opinion",
    "user.race": "special.racial_ethnic_origin",
    "user.religious_belief": "special.religious_belief",
    "user.sexual_orientation": "special.sexual_orientation",
    "user.genetic": "special.genetic",
    "user.health_and_medical": "special.health",
    "user.health_and_medical.genetic": "special.genetic",
    "user.criminal_history": "criminal.record",  # GDPR Art. 10
    "user.device": "device",
    "user.device.cookie": "identifier.cookie_id",
    "user.device.cookie_id": "identifier.cookie_id",
    "user.device.device_id": "identifier.device_id",
    "user.device.ip_address": "identifier.ip_address",
    "user.user_sensor": "device",
    "user.sensor": "device",
    "user.location": "location",
    "user.location.imprecise": "location.approximate",
    "user.location.precise": "location.precise",  # CPRA §1798.140(w): 1,850 ft radius
    "user.financial": "financial",
    "user.financial.bank_account": "financial.bank_account",
    "user.financial.credit_card": "financial.payment_card",
    "user.payment": "financial",
    "user.government_id": "identifier.government_id",
    "user.government_id.drivers_license_number": "identifier.government_id.national_id",
    "user.government_id.national_identification_number": "identifier.government_id.national_id",
    "user.government_id.passport_number": "identifier.government_id.passport",
    "user.id": "identifier.internal",  # fideslang 3.x name of user.unique_id
    "user.unique_id": "identifier.internal",
    "user.job_title": "professional.job_title",
    "user.workplace": "professional.job_title",
    "user.organization": "professional",
    "user.name": "name",
    "user.privacy_preferences": "preference.privacy",
    "user.profiling": "inference.profile",
    "user.social": "social_media",
}

# Non-personal fields that must still be listed because the engine walks through them
# (primary keys, references) get this category, and are never masked.
INTERNAL_ID_CATEGORY = "identifier.internal"
# The category given to an identity field Fides left unlabelled, by Lawful identity type.
IDENTITY_CATEGORIES = {"email": "contact.email", "phone": "contact.phone"}
OTHER_IDENTITY_CATEGORY = "identifier.customer"

# fideslang 1.x wrote `user.provided.identifiable.contact.email`; 2.x writes
# `user.contact.email`. Older keys are rewritten to the newer form before the look-up.
_LEGACY_PREFIXES = (
    ("user.provided.identifiable.", "user."),
    ("user.derived.identifiable.", "user."),
    ("account.contact.", "user.contact."),
    ("account.payment.", "user.financial."),
)
_NOT_PERSONAL = re.compile(r"^(system|user\.(provided|derived)\.nonidentifiable)(\.|$)")


def lawful_category(fides_category: str) -> str | None:
    """The Lawful category for a fideslang one; None when it is not personal data.

    A personal category with no Lawful equivalent is returned as itself (made a valid id),
    so the field stays in the map and `lawful check` asks for the category to be declared.
    """
    key = fides_category.strip().lower()
    for old, new in _LEGACY_PREFIXES:
        if key.startswith(old):
            key = new + key.removeprefix(old)
    if _NOT_PERSONAL.match(key):
        return None
    parts = key.split(".")
    for end in range(len(parts), 1, -1):
        found = FIDES_TO_LAWFUL.get(".".join(parts[:end]))
        if found is not None:
            return found
    return _category_id(fides_category)


def _category_id(text: str) -> str:
    parts = [identifier(part) for part in text.strip().lower().split(".") if part.strip()]
    return ".".join(parts) or "unknown"


def identifier(text: str) -> str:
    """`text` as a Lawful id: lowercase letters, digits and single underscores."""
    cleaned = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if not cleaned:
        return "unnamed"
    return cleaned if cleaned[0].isalpha() else f"x_{cleaned}"
