"""All ORM model modules, so that `Base.metadata` knows every table (Alembic, tests).

A domain that adds tables adds its module here: one line.
"""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from lawful.store.models import Base

MODEL_MODULES: tuple[str, ...] = (
    "lawful.store.models",
    "lawful.engine.models",
    "lawful.store.audit",
    "lawful.consent.models",
    "lawful.auth.models",
    "lawful.auth.training",
    "lawful.requests.models",
    "lawful.retention.models",
    "lawful.breach.models",
    "lawful.complaints.models",
    "lawful.directives.models",
    "lawful.store.tasks",
    "lawful.interop.drp.models",
    "lawful.interop.opendsr.models",
    "lawful.discovery.models",
    "lawful.dpia.models",
    "lawful.processors.models",
    "lawful.markers.models",
)


def load_metadata() -> MetaData:
    for module in MODEL_MODULES:
        importlib.import_module(module)
    return Base.metadata
