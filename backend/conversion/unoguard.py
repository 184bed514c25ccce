"""Run by the system Python beside unoserver: ``python3 unoguard.py <owner pid> <cmd…>``.
Starts the command in this process group and kills the whole group (unoserver and its
LibreOffice) as soon as the owner — the worker that started it — is gone, even when the
owner was killed without a chance to clean up. Standard library only: the system Python
has nothing else."""

import os
import signal
import subprocess
import sys
import time


def main() -> int:
    owner = int(sys.argv[1])
    child = subprocess.Popen(sys.argv[2:])
    while True:
        code = child.poll()
        if code is not None:
            return code
        try:
            os.kill(owner, 0)
        except ProcessLookupError:
            os.killpg(0, signal.SIGKILL)
        time.sleep(0.5)


if __name__ == "__main__":
    sys.exit(main())
