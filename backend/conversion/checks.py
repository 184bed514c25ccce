"""What an office file must pass before LibreOffice ever opens it: a readable package
(ZIP for OOXML/ODF, OLE for the old .doc/.xls), no macros, no password, and not a zip
bomb. Reading is bounded: every member is decompressed in chunks up to a total cap, so a
lying header cannot make us unpack gigabytes."""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_MEMBERS = 5000
MAX_RATIO = 200  # a member unpacking to more than 200× its packed size is a bomb
CHUNK = 1024 * 1024

WORD = {".docx", ".odt"}  # what a draft's main file may be
# extension → (content type, package, the member that proves what it is)
OFFICE_TYPES: dict[str, tuple[str, str, str | None]] = {
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "ooxml",
        "word/document.xml",
    ),
    ".xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ooxml",
        "xl/workbook.xml",
    ),
    ".pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "ooxml",
        "ppt/presentation.xml",
    ),
    ".odt": ("application/vnd.oasis.opendocument.text", "odf", None),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", "odf", None),
    ".doc": ("application/msword", "ole", None),
    ".xls": ("application/vnd.ms-excel", "ole", None),
}
MACRO_EXTENSIONS = {".docm", ".dotm", ".xlsm", ".xltm", ".xlsb", ".pptm", ".potm", ".ppsm"}
CONTENT_TYPES = {ext: t for ext, (t, _, _) in OFFICE_TYPES.items()}
ODF_MIMETYPES = {
    ".odt": b"application/vnd.oasis.opendocument.text",
    ".ods": b"application/vnd.oasis.opendocument.spreadsheet",
}


@dataclass
class OfficeProblem(Exception):
    code: str
    detail: str


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def check_office(path: Path, filename: str, *, max_unzipped: int) -> str:
    """The content type of a usable office file, or OfficeProblem saying why not."""
    suffix = Path(filename).suffix.lower()
    if suffix in MACRO_EXTENSIONS:
        raise OfficeProblem(
            "office-macros",
            f"{filename} is a macro-enabled document; macros are never accepted. "
            "Save it as .docx (Word document) or .xlsx and upload that.",
        )
    known = OFFICE_TYPES.get(suffix)
    if known is None:
        raise OfficeProblem(
            "file-type-not-allowed",
            "Files must be PDF or office documents (docx, odt, xlsx, ods, pptx, doc, xls).",
        )
    content_type, package, proof = known
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(OLE_MAGIC):
        _check_ole(path, filename, package)
    elif package == "ole":
        raise OfficeProblem("office-file-broken", f"{filename} is not a Word/Excel 97 file.")
    elif not head.startswith(ZIP_MAGIC):
        raise OfficeProblem(
            "office-file-broken", f"{filename} is damaged: it is not an office document package."
        )
    else:
        _check_zip(path, filename, suffix, package, proof, max_unzipped)
    return content_type


def _check_ole(path: Path, filename: str, package: str) -> None:
    """An OLE compound file: an old .doc/.xls, or an encrypted OOXML document (Word keeps
    a password-protected .docx as OLE streams "EncryptionInfo" + "EncryptedPackage")."""
    with open(path, "rb") as fh:
        data = fh.read(8 * CHUNK)  # the directory of a small encrypted file is near the start
    if _utf16("EncryptedPackage") in data or _utf16("EncryptionInfo") in data:
        raise OfficeProblem(
            "office-encrypted",
            f"{filename} is protected by a password. Remove the password in Word "
            "(File › Info › Protect Document) and upload it again.",
        )
    if package != "ole":
        raise OfficeProblem(
            "office-file-broken",
            f"{filename} is an old-format (Word 97) file named as a new one; save it as .docx.",
        )
    if _utf16("_VBA_PROJECT") in data or _utf16("Macros") in data:
        raise OfficeProblem(
            "office-macros", f"{filename} contains macros; macros are never accepted."
        )


def _check_zip(
    path: Path, filename: str, suffix: str, package: str, proof: str | None, max_unzipped: int
) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise OfficeProblem(
            "office-file-broken", f"{filename} is damaged and cannot be opened ({exc})."
        ) from exc
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise _bomb(filename, f"it holds {len(members)} parts")
        names = {m.filename for m in members}
        declared = sum(m.file_size for m in members)
        if declared > max_unzipped:
            raise _bomb(filename, f"it unpacks to {declared // (1024 * 1024)} MB")
        if any(m.flag_bits & 0x1 for m in members):
            raise OfficeProblem("office-encrypted", f"{filename} is protected by a password.")
        if package == "ooxml":
            if proof not in names or "[Content_Types].xml" not in names:
                raise OfficeProblem(
                    "office-file-broken",
                    f"{filename} is damaged: the package lacks its main part ({proof}).",
                )
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                raise OfficeProblem(
                    "office-macros", f"{filename} contains macros; macros are never accepted."
                )
        else:
            if "mimetype" not in names:
                raise OfficeProblem(
                    "office-file-broken", f"{filename} is damaged: no OpenDocument mimetype."
                )
            if any(n.startswith(("Basic/", "Scripts/")) for n in names):
                raise OfficeProblem(
                    "office-macros", f"{filename} contains macros; macros are never accepted."
                )
        total = 0
        for member in members:
            total = _read_member(archive, member, filename, total, max_unzipped)
        if package == "odf":
            mimetype = archive.read("mimetype").strip()
            if mimetype != ODF_MIMETYPES.get(suffix):
                raise OfficeProblem(
                    "office-file-broken",
                    f"{filename} is not the OpenDocument type its name says.",
                )
            manifest = (
                archive.read("META-INF/manifest.xml") if "META-INF/manifest.xml" in names else b""
            )
            if b"encryption-data" in manifest:
                raise OfficeProblem("office-encrypted", f"{filename} is protected by a password.")
        else:
            types = archive.read("[Content_Types].xml")
            if re.search(rb"macroEnabled", types, re.IGNORECASE):
                raise OfficeProblem(
                    "office-macros", f"{filename} is a macro-enabled document; not accepted."
                )


def _read_member(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, filename: str, total: int, cap: int
) -> int:
    """Unpack one member in chunks (checking its CRC) without keeping it; the running total
    and the ratio are checked as the bytes come, not as the header claims."""
    packed = max(member.compress_size, 1)
    size = 0
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                total += len(chunk)
                if total > cap:
                    raise _bomb(filename, f"it unpacks to more than {cap // (1024 * 1024)} MB")
                if size > 10 * CHUNK and size / packed > MAX_RATIO:
                    raise _bomb(filename, f"a part unpacks to over {MAX_RATIO}× its size")
    except OfficeProblem:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise OfficeProblem(
            "office-file-broken", f"{filename} is damaged: {member.filename} cannot be read."
        ) from exc
    return total


def _bomb(filename: str, why: str) -> OfficeProblem:
    return OfficeProblem(
        "office-zip-bomb", f"{filename} is refused: {why}, far more than a document needs."
    )
