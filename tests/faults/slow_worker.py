"""The real worker process (``backend.worker``: the queue consumer, the signing watcher,
the development PKI's services) with a slow signing service and slow finishing, so that a
test can kill it with SIGKILL at the moment it chooses. Run as a script."""

from __future__ import annotations

import os
import time

from huey.consumer import Consumer

from backend import worker
from backend.signatures import runtime
from signing import pades

PROVIDER_SECONDS = float(os.environ.get("SLOW_PROVIDER_SECONDS", "0"))
FINISH_SECONDS = float(os.environ.get("SLOW_FINISH_SECONDS", "0"))
_provider_for, _finish = runtime.provider_for, pades.finish


class _SlowProvider:
    def __init__(self, provider) -> None:
        self.provider = provider

    def sign_digests(self, credential, digests, authorization=None):
        time.sleep(PROVIDER_SECONDS)  # the remote service thinks
        return self.provider.sign_digests(credential, digests, authorization)


def _slow_finish(*args, **kwargs):
    time.sleep(FINISH_SECONDS)
    return _finish(*args, **kwargs)


runtime.provider_for = lambda row: _SlowProvider(_provider_for(row))
pades.finish = _slow_finish

if __name__ == "__main__":
    Consumer(worker.huey, workers=2, worker_type="thread").run()
