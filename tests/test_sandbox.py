"""The sandbox that PDFs are parsed, drawn and read in: results come back, and a job that
takes too much memory or time is stopped and reported, never the caller."""

from __future__ import annotations

import os

import pytest

from backend.core import sandbox


def add(a: int, b: int) -> tuple[int, int]:
    return a + b, os.getpid()


def hog_memory() -> int:
    chunks = [bytearray(64 * 1024 * 1024) for _ in range(64)]  # 4 GiB, touched
    return len(chunks)


def spin() -> None:
    while True:
        pass


def sleep_long() -> None:
    import time

    time.sleep(30)


def fail() -> None:
    raise ValueError("damaged cross-reference table")


def test_a_job_runs_in_another_process_and_returns_its_result():
    total, pid = sandbox.run(add, 2, 3)
    assert total == 5 and pid != os.getpid()


def test_a_job_past_its_memory_is_stopped():
    with pytest.raises(sandbox.LimitExceeded) as stopped:
        sandbox.run(hog_memory, memory_mb=200, seconds=20)
    assert stopped.value.reason in {"memory", "crashed"}


def test_a_job_past_its_cpu_time_is_stopped():
    with pytest.raises(sandbox.LimitExceeded) as stopped:
        sandbox.run(spin, seconds=1)
    assert stopped.value.reason in {"cpu", "time"}


def test_a_job_past_its_wall_clock_is_stopped():
    with pytest.raises(sandbox.LimitExceeded) as stopped:
        sandbox.run(sleep_long, seconds=0.5)
    assert stopped.value.reason == "time"


def test_a_job_that_raises_is_reported():
    with pytest.raises(sandbox.JobFailed, match="ValueError: damaged cross-reference table"):
        sandbox.run(fail)
