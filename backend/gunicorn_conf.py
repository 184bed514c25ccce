"""gunicorn settings, from the environment."""

import ctypes
import os
import signal
import sys

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 20
# The app polls every 2 s (signing progress, counts): a connection kept longer than that is
# reused instead of reopened for every poll. Behind a load balancer, set it above the
# balancer's idle timeout, so the balancer, not gunicorn, closes idle connections.
keepalive = int(os.environ.get("WEB_KEEPALIVE", "15"))
accesslog = None  # the app logs each request itself, as JSON with its request id
errorlog = "-"

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def post_fork(server, worker):
    """A worker dies with its master. Without this, a master killed with -9 (OOM killer,
    operator) leaves its workers running: they finish what they hold for up to
    ``graceful_timeout`` while keeping the listening socket, so a restarted master cannot
    bind the port. Killed at once instead: their transactions roll back, and phones retry
    with the same Idempotency-Key."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            server.log.warning("prctl(PR_SET_PDEATHSIG) failed: errno %s", ctypes.get_errno())
    if os.getppid() != worker.ppid:  # the master died before the line above
        os._exit(1)
