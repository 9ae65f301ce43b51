"""Discovery: find the personal data really held in the stores.

Recognizers find entities (emails, phones, identifiers with check digits, names …) in text;
an analyzer runs them all and resolves overlaps; columns are classified from their names and
a bounded sample of their values; `lawful scan` drafts a data map from the live schema, and
`lawful check --live` reports undeclared columns that look personal.
"""
