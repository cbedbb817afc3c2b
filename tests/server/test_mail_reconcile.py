"""E-mails whose job was lost (Redis restarted or flushed) are handed to the queue again by the
worker's poller: the notifications table is the truth, as the timers table is for timers."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import rq


def test_the_poller_requeues_mail_whose_job_was_lost(app: Any, api: Any, monkeypatch: Any) -> None:
    from server import notifications, timer_poller
    from server.clock import utcnow
    from server.db import db
    from server.models import Notification, User
    from server.redis_conn import get_redis

    api.user("someone@test.example")
    with app.app_context():
        user = db.session.query(User).filter_by(email="someone@test.example").one()
        stale = Notification(
            user_id=user.id, kind="info", title="lost", created_at=utcnow() - timedelta(minutes=5),
            email_status="pending", email_attempts=0,
        )
        fresh = Notification(user_id=user.id, kind="info", title="just sent", created_at=utcnow(),
                             email_status="pending", email_attempts=0)
        db.session.add_all([stale, fresh])
        db.session.commit()
        stale_id, fresh_id = stale.id, fresh.id
        queue = rq.Queue(notifications.MAIL_QUEUE, connection=get_redis(app))
        queue.empty()  # as after a FLUSHALL: no job for either mail

    monkeypatch.setattr(timer_poller, "MAIL_RECONCILE_S", 0.0)
    poller = timer_poller.TimerPoller(app, interval=0.05)
    poller.start()
    try:
        deadline = time.monotonic() + 10
        queued: list[int] = []
        while time.monotonic() < deadline and not queued:
            queued = [job.args[0] for job in queue.get_jobs()]
            time.sleep(0.05)
    finally:
        poller.stop()
        poller.join(5)
    assert stale_id in queued
    assert fresh_id not in queued  # its own job may still be on its way: not handed over twice
