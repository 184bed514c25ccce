"""Many machines: with REDIS_URL the task queue and the rate limits live in Redis, shared
by every web node and worker (the local Redis at 127.0.0.1:6379 must be running)."""

from __future__ import annotations

import os

import pytest
import redis
from huey import RedisHuey

from backend.app import create_app
from backend.core.ratelimit import init_app as init_ratelimit
from backend.core.ratelimit import limiter
from tests.conftest import make_settings, run_worker


@pytest.fixture
def redis_url() -> str:
    # one Redis database per pytest worker, emptied before use
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    url = f"redis://127.0.0.1:6379/{8 + int(worker.removeprefix('gw') or 0) % 8}"
    client = redis.Redis.from_url(url)
    client.ping()  # no Redis: this fails loudly, it does not skip
    client.flushdb()
    return url


def test_queue_and_rate_limits_are_shared_through_redis(
    app, database_url, var_dir, redis_url, world
):
    settings = dict(redis_url=redis_url, login_rate_limit_ip="3 per minute")
    node_a = create_app(make_settings(database_url, var_dir, **settings))
    node_b = create_app(make_settings(database_url, var_dir, **settings))
    assert isinstance(node_a.extensions["queue"], RedisHuey)
    try:
        # a task enqueued by one node is run by "the worker" of another
        with node_a.app_context():
            node_a.extensions["tasks"].purge_idempotency_records()
        assert node_b.extensions["queue"].pending_count() == 1
        assert run_worker(node_b) == 1

        # the per-IP login limit counts across nodes
        wrong = {"username": "head", "password": "sai-mat-khau", "device_name": "x"}
        statuses = [
            node.test_client().post("/api/auth/login", json=wrong).status_code
            for node in (node_a, node_b, node_a, node_b)
        ]
        assert statuses == [401, 401, 401, 429]
    finally:
        limiter.reset()
        redis.Redis.from_url(redis_url).flushdb()
        init_ratelimit(app, "")  # the limiter is process-wide: back to memory for the others
