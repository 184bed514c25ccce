"""Each notification reaches each device once, even when deliveries overlap: a slow push
service, the delivery task, the per-minute sweep and a scheduled retry all running at the
same moment (separate database connections, as separate worker threads or processes
are). A delivery is claimed before it is sent; a claim whose worker died expires."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from backend.notifications import service
from backend.notifications.models import PushDelivery
from tests.conftest import TEST_PASSWORD, run_periodic
from tests.notifications.test_push import push_states, send_to_head, subscribe


def _deliveries(app) -> list[PushDelivery]:
    from backend.core.db import session

    with app.app_context():
        return list(session().scalars(select(PushDelivery).order_by(PushDelivery.id)))


def _second_device(client, world, push_service):
    login = client.post(
        "/api/auth/login",
        json={"username": "head", "password": TEST_PASSWORD, "device_name": "iPad"},
    )
    assert login.status_code == 200, login.json
    return subscribe(
        client,
        world["head"],
        push_service,
        headers={"Authorization": f"Bearer {login.json['access_token']}"},
    )


def _pending_ids(app) -> list[int]:
    from backend.core.db import session
    from backend.notifications.models import Notification

    with app.app_context():
        return list(session().scalars(select(Notification.id).order_by(Notification.id)))


def _at_once(app, *jobs) -> None:
    """Run each job in its own thread with its own app context (own session and
    connection), all released together."""
    start = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job) -> None:
        try:
            with app.app_context():
                start.wait()
                job()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []


def test_a_slow_push_service_and_overlapping_deliveries_send_each_message_once(
    client, world, app, push_service, frozen_clock
):
    phone = subscribe(client, world["head"], push_service)
    tablet = _second_device(client, world, push_service)
    for i in range(6):
        send_to_head(client, world, subject=f"Báo cáo số {i}")
    ids = _pending_ids(app)
    assert len(ids) == 6
    app.extensions["queue"].flush()  # the tasks are run by hand below, all at once
    push_service.delay = 0.2  # 12 messages over 4 connections: every run overlaps
    frozen_clock(datetime.now(UTC) + timedelta(minutes=1))  # old enough for the sweep
    _at_once(
        app,
        lambda: service.deliver(ids),  # the task enqueued at commit
        lambda: service.sweep(),  # the per-minute sweep
        lambda: service.deliver(ids),  # a scheduled retry of the same batch
        lambda: service.sweep(),  # a second worker's sweep
    )
    for device in (phone, tablet):
        got = Counter(m["id"] for m in push_service.messages_for(device))
        assert got == Counter(ids), f"duplicates or losses: {got}"
    deliveries = _deliveries(app)
    assert len(deliveries) == 12
    assert {(d.status, d.attempts) for d in deliveries} == {("sent", 1)}  # the log is true
    assert push_states(app) == ["sent"] * 6


def test_a_retry_due_while_the_sweep_runs_is_sent_once(
    client, world, app, push_service, frozen_clock
):
    phone = subscribe(client, world["head"], push_service)
    push_service.answer_next(phone, 429, {"Retry-After": "30"})
    send_to_head(client, world)
    [nid] = _pending_ids(app)
    with app.app_context():
        service.deliver([nid])
    assert push_service.messages_for(phone) == []
    push_service.delay = 0.5
    frozen_clock(datetime.now(UTC) + timedelta(seconds=45))
    _at_once(app, lambda: service.deliver([nid]), lambda: service.sweep())
    assert [m["id"] for m in push_service.messages_for(phone)] == [nid]
    [delivery] = _deliveries(app)
    assert (delivery.status, delivery.attempts) == ("sent", 2)


def test_a_claim_whose_worker_died_is_delivered_after_it_expires(
    client, world, app, push_service, frozen_clock, monkeypatch
):
    phone = subscribe(client, world["head"], push_service)
    send_to_head(client, world)
    [nid] = _pending_ids(app)

    class Killed(BaseException):
        """The worker process dies in the middle of sending."""

    with app.app_context():
        real = service._sender()
        monkeypatch.setattr(real, "send", lambda *a, **k: (_ for _ in ()).throw(Killed()))
        with pytest.raises(Killed):
            service.deliver([nid])
    monkeypatch.undo()
    [delivery] = _deliveries(app)
    assert delivery.status == "sending" and delivery.attempts == 0  # claimed, never answered
    now = datetime.now(UTC)
    frozen_clock(now + timedelta(minutes=1))
    run_periodic(app, "sweep")  # the claim still stands: another worker leaves it alone
    assert push_service.messages_for(phone) == []
    frozen_clock(now + service.CLAIM_LEASE + timedelta(seconds=1))
    run_periodic(app, "sweep")
    assert [m["id"] for m in push_service.messages_for(phone)] == [nid]
    assert push_states(app) == ["sent"]


def test_two_worker_processes_and_a_slow_push_service_send_each_message_once(
    client, world, app, push_service, database_url, var_dir, tmp_path
):
    """The same, with real worker processes: two Huey consumers (2 threads each) take
    the delivery tasks of the same notifications — the task enqueued at commit and three
    more for the same batch, as retries and sweeps would enqueue them."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    from tests.faults.conftest import server_env

    phone = subscribe(client, world["head"], push_service)
    tablet = _second_device(client, world, push_service)
    for i in range(6):
        send_to_head(client, world, subject=f"Công văn số {i}")
    ids = _pending_ids(app)
    with app.app_context():
        for _ in range(3):
            app.extensions["tasks"].deliver_notifications(ids)
    deliveries = [t for t in app.extensions["queue"].pending() if t.name == "deliver_notifications"]
    assert len(deliveries) == 9  # 6 at commit + 3
    push_service.delay = 0.2
    consumer = Path(sys.executable).with_name("huey_consumer")
    env = server_env(database_url, var_dir)
    logs = [open(tmp_path / f"worker{i}.log", "wb") for i in range(2)]  # noqa: SIM115
    workers = [
        subprocess.Popen(
            [str(consumer), "backend.worker.huey", "--workers", "2", "--worker-type", "thread"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for log in logs
    ]
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if push_states(app) == ["sent"] * 6 and app.extensions["queue"].pending_count() == 0:
                break
            time.sleep(0.2)
        time.sleep(1)  # a straggler would have sent by now
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(30)
        for log in logs:
            log.close()
    assert push_states(app) == ["sent"] * 6, (tmp_path / "worker0.log").read_text()[-3000:]
    for device in (phone, tablet):
        got = Counter(m["id"] for m in push_service.messages_for(device))
        assert got == Counter(ids), f"duplicates or losses: {got}"
    assert {(d.status, d.attempts) for d in _deliveries(app)} == {("sent", 1)}
