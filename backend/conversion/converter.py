"""The converters: LibreOffice headless behind unoserver, kept warm by the worker.

Debian's ``python3-uno`` belongs to the system Python (/usr/bin/python3), not to the
project's virtualenv, so each converter is ``/usr/bin/python3 -m unoserver.server`` with
only the unoserver package (from the virtualenv, where pip installed it) on its path; the
worker talks to it over unoserver's XML-RPC API on loopback. Each converter lives in a
process group of its own: a conversion that passes the time limit is answered by killing
the group (unoserver and its LibreOffice) and starting a fresh one in the background, so
one bad document never holds up the others.
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import importlib.metadata
import logging
import os
import queue
import signal
import socket
import subprocess
import threading
import time
import xmlrpc.client
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("trinhky.conversion")
API_VERSION = "3"  # unoserver's XML-RPC API this client speaks
START_TIMEOUT = 90.0  # unoserver waits ~7 s by itself; LibreOffice's first start is slower
# unoserver, loading documents hidden and without macros, dying with its owner
MAIN = Path(__file__).with_name("unoserver_main.py")


@dataclass
class ConversionError(Exception):
    """The document could not be converted: ``code`` is stable, ``detail`` says why."""

    code: str
    detail: str

    def __str__(self) -> str:
        return self.detail


class ConverterUnavailable(RuntimeError):
    """No converter can be started here (LibreOffice or python3-uno missing)."""


def _lower_priority() -> None:
    os.nice(10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Transport(xmlrpc.client.Transport):
    """unoserver's protocol with a socket timeout: the time limit of a conversion."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def make_connection(self, host: str) -> http.client.HTTPConnection:  # type: ignore[override]
        connection = super().make_connection(host)
        connection.timeout = self.timeout
        return connection


def unoserver_path(work_dir: Path) -> Path:
    """A directory holding only the unoserver package and its metadata (linked from this
    Python's site-packages), to put on the system Python's path: nothing else of the
    virtualenv can shadow what the system Python has."""
    dist = importlib.metadata.distribution("unoserver")
    package = Path(str(dist.locate_file("unoserver")))
    info = Path(str(dist._path))  # type: ignore[attr-defined]
    target = work_dir / "python"
    target.mkdir(parents=True, exist_ok=True)
    for source in (package, info):
        link = target / source.name
        if link.is_symlink() and link.resolve() == source.resolve():
            continue
        link.unlink(missing_ok=True)
        link.symlink_to(source)
    return target


class Converter:
    """One unoserver + LibreOffice. Not thread-safe: the pool lends it to one caller."""

    def __init__(
        self, index: int, work_dir: Path, *, uno_python: str, soffice: str, time_limit: float
    ) -> None:
        self.index = index
        self.work_dir = work_dir
        self.uno_python = uno_python
        self.soffice = soffice
        self.time_limit = time_limit
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.started_at = 0.0
        self.conversions = 0

    @property
    def profile(self) -> Path:
        return self.work_dir / f"profile-{self.index}"

    def check_installed(self) -> None:
        if not Path(self.soffice).exists():
            raise ConverterUnavailable(
                f"LibreOffice is not installed ({self.soffice}); run `make system-deps` "
                "(Debian: libreoffice-writer-nogui, python3-uno)."
            )
        probe = subprocess.run(
            [self.uno_python, "-c", "import uno"], capture_output=True, check=False, timeout=30
        )
        if probe.returncode:
            raise ConverterUnavailable(
                f"{self.uno_python} cannot import uno; install Debian's python3-uno "
                "(`make system-deps`)."
            )

    def start(self) -> None:
        """Start unoserver and wait until it answers (raises ConverterUnavailable)."""
        self.stop()
        self.check_installed()
        self.port, uno_port = _free_port(), _free_port()
        self.profile.mkdir(parents=True, exist_ok=True)
        (self.profile / ".lock").unlink(missing_ok=True)  # left by a killed LibreOffice
        log_path = self.work_dir / f"converter-{self.index}.log"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.profile),
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(unoserver_path(self.work_dir)),
        }
        with open(log_path, "ab") as log_file:
            self.process = process = subprocess.Popen(
                [
                    self.uno_python,
                    str(MAIN),
                    str(os.getpid()),
                    "--interface",
                    "127.0.0.1",
                    "--uno-interface",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--uno-port",
                    str(uno_port),
                    "--user-installation",
                    str(self.profile),
                    "--executable",
                    self.soffice,
                    # unoserver's own limit, a second line behind ours
                    "--conversion-timeout",
                    str(int(self.time_limit) + 10),
                ],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed as one
                # background work: the web, signing and deliveries come first on the CPU
                preexec_fn=_lower_priority,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process is not process:
                raise ConverterUnavailable("the converter was stopped while starting")
            if process.poll() is not None:
                raise ConverterUnavailable(
                    f"the converter exited at start (see {log_path.name} in the worker's var/)"
                )
            try:
                info = self._proxy(5.0).info()
            except (OSError, xmlrpc.client.Error, http.client.HTTPException):
                if time.monotonic() > deadline:
                    self.stop()
                    raise ConverterUnavailable("the converter did not start in time") from None
                time.sleep(0.25)
                continue
            if info.get("api") != API_VERSION:
                self.stop()
                raise ConverterUnavailable(f"unoserver API {info.get('api')}, not {API_VERSION}")
            break
        self.started_at = time.monotonic()
        self.conversions = 0
        log.info("converter %d ready on port %d", self.index, self.port)

    def _proxy(self, timeout: float) -> xmlrpc.client.ServerProxy:
        return xmlrpc.client.ServerProxy(
            f"http://127.0.0.1:{self.port}", transport=_Transport(timeout), allow_none=True
        )

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def convert(self, source: Path, target: Path) -> None:
        """Write ``source`` as a PDF (the format of ``target``'s extension) to ``target``
        within the time limit. On a timeout or a
        crash the converter is stopped (the caller restarts it) and ConversionError says
        what happened."""
        if not self.alive:
            raise ConverterUnavailable("the converter is not running")
        try:
            self._proxy(self.time_limit).convert(
                str(source),
                None,
                str(target),
                target.suffix.lstrip("."),
                None,
                [],
                True,
                None,
                None,
            )
        except TimeoutError as exc:
            self.stop()
            raise ConversionError(
                "conversion-timeout",
                f"The conversion took longer than {int(self.time_limit)} s and was stopped.",
            ) from exc
        except xmlrpc.client.Fault as fault:
            self.conversions += 1
            log.info("converter %d refused %s: %s", self.index, source.name, _fault(fault))
            raise ConversionError(  # LibreOffice's own words name server paths: not shown
                "conversion-failed",
                "LibreOffice could not open the file: it is damaged or not really the "
                "document type its name says.",
            ) from fault
        except (OSError, http.client.HTTPException, xmlrpc.client.ProtocolError) as exc:
            self.stop()
            raise ConversionError(
                "converter-crashed", "The converter stopped while converting this file."
            ) from exc
        self.conversions += 1
        if not target.exists() or target.stat().st_size == 0:
            raise ConversionError("conversion-failed", "LibreOffice produced no PDF.")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            log.error("converter %d did not die", self.index)


def _fault(fault: xmlrpc.client.Fault) -> str:
    text = str(fault.faultString).strip().splitlines()
    return (text[-1] if text else "unknown error")[:300]


class ConverterPool:
    """The worker's converters (one per core by default). ``convert`` borrows a free one,
    waiting for it; a converter stopped by a timeout or crash is restarted in the
    background while the others go on."""

    def __init__(
        self,
        count: int,
        work_dir: Path,
        *,
        uno_python: str,
        soffice: str,
        time_limit: float,
    ) -> None:
        work_dir.mkdir(parents=True, exist_ok=True)
        self.converters = [
            Converter(i, work_dir, uno_python=uno_python, soffice=soffice, time_limit=time_limit)
            for i in range(count)
        ]
        self._free: queue.Queue[Converter] = queue.Queue()
        atexit.register(self.stop)
        self._started = False
        self._stopped = False
        self._lock = threading.Lock()
        self.restarts = 0
        self.error: str = ""

    def start(self, *, wait: bool = True) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        threads = [
            threading.Thread(target=self._bring_up, args=(c,), daemon=True, name=f"converter-{i}")
            for i, c in enumerate(self.converters)
        ]
        for thread in threads:
            thread.start()
        if wait:
            for thread in threads:
                thread.join()
            if self.error and self._free.empty():
                raise ConverterUnavailable(self.error)

    def _bring_up(self, converter: Converter) -> None:
        if self._stopped:
            return
        try:
            converter.start()
        except ConverterUnavailable as exc:
            self.error = str(exc)
            log.error("converter %d: %s", converter.index, exc)
            return
        self._free.put(converter)

    def convert(self, source: Path, target: Path, *, wait: float = 600.0) -> None:
        self.start(wait=False)
        try:
            converter = self._free.get(timeout=wait)
        except queue.Empty:
            raise ConverterUnavailable(self.error or "no converter became free") from None
        try:
            converter.convert(source, target)
        finally:
            if converter.alive:
                self._free.put(converter)
            else:
                self.restarts += 1
                threading.Thread(
                    target=self._bring_up, args=(converter,), daemon=True, name="converter-restart"
                ).start()

    def stop(self) -> None:
        self._stopped = True
        for converter in self.converters:
            converter.stop()
