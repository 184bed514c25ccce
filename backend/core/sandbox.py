"""Work on untrusted files (PDF parsing, rendering, text extraction) in a child process
with hard limits on memory and time, so a decompression bomb or a giant page costs the
child its life and never the web or worker process its memory.

Children are forked from a forkserver started once per process (clean, single-threaded,
with the PDF libraries already imported), so a job starts in milliseconds. The function
run must be importable (module level) and return picklable plain data.
"""

from __future__ import annotations

import io
import logging
import math
import multiprocessing
import multiprocessing.context
import os
import resource
import signal
import threading
from collections.abc import Callable
from multiprocessing import context, forkserver, popen_forkserver, reduction, spawn, util
from multiprocessing.connection import Connection
from typing import Any, TypeVar

log = logging.getLogger("trinhky.sandbox")
T = TypeVar("T")
MB = 1024 * 1024
# Imported once by the forkserver, inherited by every child.
PRELOAD = ["pypdfium2", "pypdf", "PIL.Image", "PIL.WebPImagePlugin"]

MAX_CONCURRENT = 2  # jobs at once per process: each may use its whole memory allowance

_lock = threading.Lock()
_slots = threading.BoundedSemaphore(MAX_CONCURRENT)
_context: Any = None


class LimitExceeded(Exception):
    """The job was stopped: ``reason`` is "memory" (a MemoryError), "cpu" (its CPU time
    ran out), "time" (the wall clock ran out: perhaps only a busy machine) or "crashed"
    (it died, most often an allocation refused inside a C library)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class Busy(Exception):
    """Every slot stayed taken for as long as the job could have run: try again later."""


class JobFailed(Exception):
    """The job raised an exception (its type and message, as text)."""


class _Popen(popen_forkserver.Popen):
    """The stdlib's forkserver launch, minus one thing: the child does not import the
    parent's ``__main__`` again (gunicorn's or a script's; jobs never need it, and it
    costs every job tens of milliseconds)."""

    def _launch(self, process_obj: Any) -> None:
        prep_data = spawn.get_preparation_data(process_obj._name)
        prep_data.pop("init_main_from_path", None)
        prep_data.pop("init_main_from_name", None)
        buf = io.BytesIO()
        context.set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            context.set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)
        _parent_w = os.dup(w)
        self.finalizer = util.Finalize(self, util.close_fds, (_parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _Process(multiprocessing.context.ForkServerProcess):
    @staticmethod
    def _Popen(process_obj: Any) -> _Popen:  # noqa: N802 - the stdlib's name
        return _Popen(process_obj)


def _get_context() -> Any:
    global _context
    with _lock:
        if _context is None:
            forkserver_context = multiprocessing.get_context("forkserver")
            forkserver_context.set_forkserver_preload(PRELOAD)
            _context = forkserver_context
        return _context


def _child(
    conn: Connection, memory_bytes: int, cpu_seconds: int, func: Callable[..., Any], args: tuple
) -> None:
    # RLIMIT_DATA (heap and private mappings) rather than RLIMIT_AS: pdfium reserves large
    # address ranges it never touches, which must not count.
    resource.setrlimit(resource.RLIMIT_DATA, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    try:
        result = ("ok", func(*args))
    except MemoryError:
        result = ("memory", "")
    except BaseException as exc:  # reported to the parent, which decides
        result = ("error", f"{type(exc).__name__}: {exc}")
    try:
        conn.send(result)
    except MemoryError:
        conn.send(("memory", ""))
    finally:
        conn.close()


def run(func: Callable[..., T], *args: Any, memory_mb: int = 400, seconds: float = 5.0) -> T:
    """``func(*args)`` in a child process with at most ``memory_mb`` of memory and
    ``seconds`` of time; raises LimitExceeded when it hits either (or dies), JobFailed
    when it raised, Busy when MAX_CONCURRENT jobs kept every slot for ``seconds``."""
    if not _slots.acquire(timeout=seconds):
        raise Busy(f"{MAX_CONCURRENT} jobs already running")
    try:
        return _run(func, args, memory_mb, seconds)
    finally:
        _slots.release()


def _run(func: Callable[..., T], args: tuple, memory_mb: int, seconds: float) -> T:
    receiver, sender = _get_context().Pipe(duplex=False)
    process = _Process(
        target=_child,
        args=(sender, memory_mb * MB, max(1, math.ceil(seconds)), func, args),
        daemon=True,
    )
    process.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            process.kill()
            raise LimitExceeded("time", f"stopped after {seconds:g} s")
        try:
            status, value = receiver.recv()
        except EOFError as exc:  # killed (CPU limit, allocator abort, segfault)
            process.join(1)
            if process.exitcode == -signal.SIGXCPU:
                raise LimitExceeded("cpu", f"more than {math.ceil(seconds)} s of CPU") from exc
            raise LimitExceeded("crashed", f"exit code {process.exitcode}") from exc
    finally:
        receiver.close()
        process.join(1)
        if process.is_alive():
            process.kill()
            process.join(1)
    if status == "ok":
        return value
    if status == "memory":
        raise LimitExceeded("memory", f"more than {memory_mb} MB")
    raise JobFailed(value)
