"""`/api/v1/audit/verify` compares the trail with the last signed checkpoint."""

from __future__ import annotations

import time

import sqlalchemy as sa

from lawful.store.audit import AuditEntry, record_event
from lawful.store.checkpoints import session_trail, verify_trail, write_checkpoint

from .conftest import Web


def test_the_api_reports_entries_cut_after_the_last_checkpoint(web: Web) -> None:
    token = web.api_token("audit:read")
    with web.platform.sessions() as session:
        for n in range(5):
            record_event(session, actor="staff:1", action="test.write", subject_type="test",
                         subject_id=str(n))  # fmt: skip
        session.commit()
        write_checkpoint(session, trail=session_trail(session))
    headers = {"Authorization": f"Bearer {token}"}
    intact = web.client.get("/api/v1/audit/verify", headers=headers).json()
    assert (intact["intact"], intact["count"], intact["checkpoint_count"]) == (True, 7, 7)
    with web.platform.sessions() as session:
        session.execute(sa.delete(AuditEntry).where(AuditEntry.seq > 4))
        session.commit()
    cut = web.client.get("/api/v1/audit/verify", headers=headers).json()
    assert (cut["intact"], cut["kinds"], cut["count"]) == (False, ["truncated"], 4)
    assert cut["breaks"] == [
        "entry 4: the trail ends here but the checkpoint of "
        f"{cut['checkpoint_at'][:10]} {cut['checkpoint_at'][11:16]} UTC counted 7 entries: "
        "the last 3 were removed"
    ]


def test_a_running_platform_checkpoints_a_quiet_trail_on_schedule(web: Web) -> None:
    path = web.platform.settings.data_dir / "audit-checkpoints.jsonl"
    deadline = time.monotonic() + 20
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    web.settle()
    with web.platform.sessions() as session:
        check = verify_trail(session)
    assert check.checkpoint is not None  # written by the scheduled job, no entry needed
    assert check.intact
