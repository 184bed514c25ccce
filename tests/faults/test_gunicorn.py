"""gunicorn killed for real: workers do not outlive their master, the port is free at
once and a new gunicorn serves; idle connections outlive the app's 2 s polling."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import threading
import time

import requests

from tests.faults.conftest import (
    alive,
    children,
    free_port,
    hold_write_lock,
    server_env,
    start_gunicorn,
    stop,
)


def test_workers_die_with_a_killed_master_and_a_restart_binds_at_once(
    app, world, database_url, var_dir, logs
):
    port = free_port()
    env = server_env(database_url, var_dir)
    master = start_gunicorn(port, env, logs)
    restarted, workers = None, []
    try:
        workers = children(master.pid)
        assert len(workers) == 2
        answers: list[object] = []
        with hold_write_lock(database_url):
            # a request in flight, held at the database (a long transaction, a slow page)
            def in_flight() -> None:
                try:
                    r = requests.post(
                        f"http://127.0.0.1:{port}/api/auth/logout",
                        headers=world["clerk"].headers,
                        timeout=60,
                    )
                    answers.append(r.status_code)
                except requests.RequestException as exc:
                    answers.append(type(exc).__name__)

            client = threading.Thread(target=in_flight)
            client.start()
            time.sleep(1.5)  # it has reached a worker and waits for the lock
            assert answers == []
            os.kill(master.pid, signal.SIGKILL)
            master.wait()
            killed_at = time.monotonic()
            while any(alive(pid) for pid in workers) and time.monotonic() - killed_at < 10:
                time.sleep(0.05)
            gone_after = time.monotonic() - killed_at
            assert not any(alive(pid) for pid in workers), "orphaned workers kept running"
            assert gone_after < 2, f"workers outlived their master by {gone_after:.1f} s"
            # the port is free: nothing listens on it any more
            with socket.socket() as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind(("127.0.0.1", port))
            client.join(10)
            assert answers and answers[0] in ("ConnectionError", "ChunkedEncodingError")
        started = time.monotonic()
        restarted = start_gunicorn(port, env, logs)
        assert time.monotonic() - started < 30  # the time to import the app, no bind retries
        assert "Retrying in 1 second" not in logs.read_text()
        me = requests.get(
            f"http://127.0.0.1:{port}/api/me", headers=world["clerk"].headers, timeout=10
        )
        assert me.status_code == 200  # the request that was cut off changed nothing
    finally:
        stop(master, workers)
        if restarted is not None:
            stop(restarted)


def test_an_idle_connection_outlives_the_apps_polling_interval(app, database_url, var_dir, logs):
    port = free_port()
    master = start_gunicorn(port, server_env(database_url, var_dir), logs)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/healthz")
        first = conn.getresponse()
        first.read()
        assert first.status == 200
        assert first.getheader("Connection", "").lower() != "close"
        local = conn.sock.getsockname()
        time.sleep(3)  # longer than the PWA's 2 s polling
        conn.request("GET", "/healthz")  # http.client does not reconnect on its own
        second = conn.getresponse()
        second.read()
        assert second.status == 200
        assert conn.sock.getsockname() == local  # the same TCP connection
        conn.close()
    finally:
        stop(master)
