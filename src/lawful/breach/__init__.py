"""Breach register: incidents, the 72-hour clock, people affected, notification drafts."""
