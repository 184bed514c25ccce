"""Validation reports: per signature, who signed, with which chain, whether it is trusted
and not revoked, when, with which timestamp, what it covers, what changed after it, and
the PAdES level reached — with a verdict in plain Vietnamese and English."""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from asn1crypto import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers import Fetchers
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

from . import speedups  # noqa: F401 - pyHanko reads signature contents faster
from .appearance import iso_vn
from .errors import NotAPdf


@dataclass
class CertInfo:
    subject: str
    issuer: str
    serial: str
    not_before: str
    not_after: str


@dataclass
class SignatureReport:
    field: str
    kind: str  # signature | document-timestamp
    signer: str
    organisation: str
    chain: list[CertInfo]
    intact: bool
    valid: bool
    trusted: bool
    revoked: bool
    signing_time: str | None
    timestamp: dict[str, str] | None
    coverage: str
    modification_level: str
    docmdp_ok: bool
    bottom_line: bool
    level: str
    verdict_vi: str
    verdict_en: str


@dataclass
class ValidationReport:
    signatures: list[SignatureReport] = field(default_factory=list)
    ok: bool = False
    verdict_vi: str = ""
    verdict_en: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _name(cert: x509.Certificate) -> tuple[str, str]:
    native = cert.subject.native
    return native.get("common_name", ""), native.get("organization_name", "")


def _cert_info(cert: x509.Certificate) -> CertInfo:
    return CertInfo(
        subject=cert.subject.human_friendly,
        issuer=cert.issuer.human_friendly,
        serial=format(cert.serial_number, "x"),
        not_before=cert.not_valid_before.isoformat(),
        not_after=cert.not_valid_after.isoformat(),
    )


def _verdict(r: dict[str, Any]) -> tuple[str, str]:
    if not r["intact"] or not r["valid"]:
        return (
            "Chữ ký không hợp lệ: nội dung đã ký bị thay đổi",
            "Invalid signature: the signed content was altered",
        )
    if r["revoked"]:
        return (
            "Chứng thư số của người ký đã bị thu hồi",
            "The signer's certificate has been revoked",
        )
    if not r["trusted"]:
        return (
            "Không xác thực được chứng thư số (không thuộc gốc tin cậy)",
            "The certificate does not chain to a trusted root",
        )
    if not r["bottom_line"]:
        return (
            "Tài liệu đã bị sửa đổi sau khi ký",
            "The document was modified after it was signed",
        )
    return "Hợp lệ", "Valid"


def _context(
    trust_roots: list[x509.Certificate],
    other: list[x509.Certificate],
    fetchers: Fetchers | None = None,
) -> ValidationContext:
    if fetchers is not None:
        return ValidationContext(
            trust_roots=trust_roots, other_certs=other, allow_fetching=True, fetchers=fetchers
        )
    return ValidationContext(
        trust_roots=trust_roots,
        other_certs=other,
        allow_fetching=True,
        fetcher_backend=RequestsFetcherBackend(per_request_timeout=10),
    )


def validate(
    pdf: bytes, trust_roots: list[x509.Certificate], *, fetchers: Fetchers | None = None
) -> ValidationReport:
    """Check every signature and document timestamp of ``pdf`` against ``trust_roots``
    (several roots may be trusted at once, e.g. the Ban Cơ yếu root and a public CA).
    ``fetchers`` (optional) are shared by many checks, so OCSP responses and CRLs fetched
    for one document serve the next (bulk checks of received documents)."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = list(reader.embedded_signatures)
    except Exception as exc:  # noqa: BLE001 - malformed PDFs raise many kinds
        raise NotAPdf(f"The PDF cannot be read: {exc}") from exc
    report = ValidationReport()
    has_dss = "/DSS" in reader.root
    doc_ts_after: dict[int, bool] = {}
    for i in range(len(signatures)):
        doc_ts_after[i] = any(
            later.sig_object.get("/Type") == "/DocTimeStamp" for later in signatures[i + 1 :]
        )
    for i, sig in enumerate(signatures):
        is_doc_ts = sig.sig_object.get("/Type") == "/DocTimeStamp"
        other = list(sig.other_embedded_certs)
        context = _context(trust_roots, other, fetchers)
        if is_doc_ts:
            status = validate_pdf_timestamp(sig, validation_context=context)
        else:
            status = validate_pdf_signature(
                sig, signer_validation_context=context, ts_validation_context=context
            )
        cert = status.signing_cert
        signer, organisation = _name(cert)
        revoked = bool(getattr(status, "revoked", False))
        coverage = getattr(status, "coverage", None)
        trusted = bool(status.trusted)
        modification = getattr(status, "modification_level", None)
        facts: dict[str, Any] = {
            "intact": bool(status.intact),
            "valid": bool(status.valid),
            "trusted": trusted,
            "revoked": revoked,
            # a document timestamp has no modification analysis of its own
            "bottom_line": bool(getattr(status, "bottom_line", status.valid and status.intact)),
        }
        ts_status = getattr(status, "timestamp_validity", None)
        timestamp = None
        if is_doc_ts:
            timestamp = {"time": iso_vn(status.timestamp), "tsa": signer}
        elif ts_status is not None:
            timestamp = {
                "time": iso_vn(ts_status.timestamp),
                "tsa": _name(ts_status.signing_cert)[0],
            }
        if is_doc_ts:
            level = "document timestamp"
        elif timestamp is None:
            level = "B-B"
        elif doc_ts_after[i] and has_dss:
            level = "B-LTA"
        elif has_dss:
            level = "B-LT"
        else:
            level = "B-T"
        signing_time: datetime | None = getattr(status, "signer_reported_dt", None)
        verdict_vi, verdict_en = _verdict(facts)
        report.signatures.append(
            SignatureReport(
                field=str(sig.field_name),  # a plain str: the PDF object drags its reader along
                kind="document-timestamp" if is_doc_ts else "signature",
                signer=signer,
                organisation=organisation,
                chain=[_cert_info(c) for c in [cert, *other] if c is not None],
                signing_time=iso_vn(signing_time) if signing_time else None,
                timestamp=timestamp,
                coverage=str(getattr(coverage, "name", coverage)),
                modification_level=str(getattr(modification, "name", modification)),
                docmdp_ok=bool(getattr(status, "docmdp_ok", True)),
                level=level,
                verdict_vi=verdict_vi,
                verdict_en=verdict_en,
                **facts,
            )
        )
    if not report.signatures:
        report.verdict_vi = "Tài liệu không có chữ ký số"
        report.verdict_en = "The document has no digital signature"
        return report
    bad = [s for s in report.signatures if s.verdict_en != "Valid"]
    report.ok = not bad
    if bad:
        report.verdict_vi = f"Không hợp lệ — {bad[0].field}: {bad[0].verdict_vi}"
        report.verdict_en = f"Not valid — {bad[0].field}: {bad[0].verdict_en}"
    else:
        people = [s.signer for s in report.signatures if s.kind == "signature"]
        report.verdict_vi = f"Hợp lệ: {len(people)} chữ ký ({', '.join(people)})"
        report.verdict_en = f"Valid: {len(people)} signature(s) ({', '.join(people)})"
    return report
