"""Waiting for the jobs a platform with in-process jobs has queued."""

from __future__ import annotations

from lawful.http.platform import Platform
from lawful.worker.inprocess import InProcessQueue


def settle(platform: Platform) -> None:
    """Wait for the jobs a platform with in-process jobs has queued so far."""
    jobs = platform.jobs
    assert isinstance(jobs, InProcessQueue), "settle() needs in-process jobs"
    jobs.join()
