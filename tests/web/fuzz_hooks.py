"""Schemathesis hooks for the API fuzz run (loaded through `SCHEMATHESIS_HOOKS`).

Random references only ever reach "not found": about half of the generated path parameters
are replaced by ids of records the run made first (`FUZZ_REFERENCES`, `FUZZ_EVENT_IDS`,
comma-separated), so the fuzz also reaches the services' real work on real records."""

from __future__ import annotations

import os
from functools import partial
from typing import Any

import schemathesis
from hypothesis import strategies as st

KNOWN = {
    "reference": [v for v in os.environ.get("FUZZ_REFERENCES", "").split(",") if v],
    "event_id": [v for v in os.environ.get("FUZZ_EVENT_IDS", "").split(",") if v],
}


@schemathesis.hook
def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any]
) -> st.SearchStrategy[dict[str, Any]]:
    choices = [
        st.sampled_from(values).map(partial(_with, path_parameters, name))
        for name, values in KNOWN.items()
        if name in (path_parameters or {}) and values
    ]
    return st.one_of([*choices, st.just(path_parameters)])  # known ids first: drawn more often


def _with(parameters: dict[str, Any], name: str, value: Any) -> dict[str, Any]:
    return {**parameters, name: value}
