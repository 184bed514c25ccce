"""Run by the system Python (Debian's python3-uno): ``python3 unoserver_main.py <owner
pid> <unoserver arguments…>``. Standard library, uno and unoserver only.

It starts unoserver in this process with two changes:
- documents are loaded hidden, with macros never executed and links never updated
  (unoserver loads them ReadOnly only; LibreOffice 7.4's listener aborts on a
  spreadsheet loaded without ``Hidden``, and a converter has no business running macros
  or fetching linked content);
- a thread watches the owner — the worker that started it — and kills this whole
  process group (unoserver and its LibreOffice) as soon as the owner is gone, even when
  the owner was killed without a chance to clean up.
"""

import sys

sys.path.pop(0)  # this file's directory: nothing of the project is imported here

import os  # noqa: E402
import signal  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402


def _watch(owner: int) -> None:
    while True:
        try:
            os.kill(owner, 0)
        except ProcessLookupError:
            os.killpg(0, signal.SIGKILL)
        time.sleep(0.5)


def _load_safely() -> None:
    from com.sun.star.beans import PropertyValue  # noqa: PLC0415 - needs uno first
    from unoserver import converter

    extra = (
        PropertyValue(Name="Hidden", Value=True),
        PropertyValue(Name="MacroExecutionMode", Value=0),  # NEVER_EXECUTE
        PropertyValue(Name="UpdateDocMode", Value=0),  # NO_UPDATE: linked content stays out
    )
    original_init = converter.UnoConverter.__init__

    class Desktop:
        def __init__(self, desktop):
            self._desktop = desktop

        def __getattr__(self, name):
            return getattr(self._desktop, name)

        def loadComponentFromURL(self, url, frame, flags, properties):  # noqa: N802 - UNO
            return self._desktop.loadComponentFromURL(url, frame, flags, tuple(properties) + extra)

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.desktop = Desktop(self.desktop)

    converter.UnoConverter.__init__ = init


def main() -> int:
    owner = int(sys.argv[1])
    threading.Thread(target=_watch, args=(owner,), daemon=True).start()
    import uno  # noqa: F401 - registers the com.sun.star import hook

    _load_safely()
    from unoserver import server

    sys.argv = ["unoserver", *sys.argv[2:]]
    return server.main() or 0


if __name__ == "__main__":
    sys.exit(main())
