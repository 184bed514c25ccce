"""Real converters for the tests: LibreOffice (Debian) behind unoserver, started once per
pytest worker. No LibreOffice or python3-uno here fails these tests loudly (`make
system-deps` installs them)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.conversion.converter import ConverterPool
from tests.signatures.conftest import signing_env  # noqa: F401 - issuing office attachments
from tests.signing.conftest import csc_service, pki_env  # noqa: F401 - its session fixtures

UNO_PYTHON = "/usr/bin/python3"
SOFFICE = "/usr/bin/soffice"


def make_pool(directory: Path, count: int = 1, time_limit: float = 60) -> ConverterPool:
    pool = ConverterPool(
        count, directory, uno_python=UNO_PYTHON, soffice=SOFFICE, time_limit=time_limit
    )
    pool.start()  # raises ConverterUnavailable when LibreOffice/python3-uno is missing
    return pool


@pytest.fixture(scope="session")
def converter_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConverterPool]:
    pool = make_pool(tmp_path_factory.mktemp("convert"), count=2)
    yield pool
    pool.stop()


@pytest.fixture
def converters(app, converter_pool: ConverterPool) -> Iterator[ConverterPool]:
    """The session's converters, used by the worker's tasks in this test."""
    app.extensions["converter_pool"] = converter_pool
    yield converter_pool
    app.extensions.pop("converter_pool", None)


def zip_bytes(members: dict[str, bytes | str], *, level: int = 6) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def docx_with(extra: dict[str, bytes | str], base: bytes) -> bytes:
    """A real .docx with parts added (macros, a bomb …)."""
    with zipfile.ZipFile(io.BytesIO(base)) as z:
        members: dict[str, bytes | str] = {n: z.read(n) for n in z.namelist()}
    members.update(extra)
    return zip_bytes(members)
