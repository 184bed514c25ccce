"""Validation reports: per signature, who signed, with which chain, whether it is trusted
and not revoked, when, with which timestamp, what it covers, what changed after it, and
the PAdES level reached.

Each signature gets a standard indication in the vocabulary of ETSI EN 319 102-1 (the one
the EU DSS simple report uses): TOTAL_PASSED, INDETERMINATE or TOTAL_FAILED, with a
sub-indication (HASH_FAILURE, REVOKED, NO_CERTIFICATE_CHAIN_FOUND, TRY_LATER, …), and one
plain sentence for it in Vietnamese and in English. The document gets the worst
indication of its signatures."""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from asn1crypto import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, DiffResult, ModificationLevel
from pyhanko.sign.validation import async_validate_pdf_signature, async_validate_pdf_timestamp
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers import Fetchers
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

from . import speedups  # noqa: F401 - pyHanko reads signature contents faster
from .appearance import iso_vn
from .errors import NotAPdf
from .pades import run_async


class Indication(StrEnum):
    TOTAL_PASSED = "TOTAL_PASSED"
    INDETERMINATE = "INDETERMINATE"
    TOTAL_FAILED = "TOTAL_FAILED"

    @property
    def rank(self) -> int:
        return list(Indication).index(self)


# (indication, sub-indication) → (Vietnamese, English): one plain sentence each.
SENTENCES: dict[tuple[Indication, str | None], tuple[str, str]] = {
    (Indication.TOTAL_PASSED, None): (
        "Chữ ký hợp lệ: đúng người ký, chứng thư số tin cậy, nội dung không bị thay đổi.",
        "Valid: the signer is who they claim, the certificate is trusted, the content is "
        "unchanged.",
    ),
    (Indication.TOTAL_FAILED, "HASH_FAILURE"): (
        "Chữ ký không hợp lệ: nội dung đã ký bị thay đổi.",
        "Invalid: the signed content was altered.",
    ),
    (Indication.TOTAL_FAILED, "SIG_CRYPTO_FAILURE"): (
        "Chữ ký không hợp lệ: giá trị chữ ký không khớp với chứng thư số.",
        "Invalid: the signature value does not match the certificate.",
    ),
    (Indication.TOTAL_FAILED, "REVOKED"): (
        "Chứng thư số của người ký đã bị thu hồi.",
        "The signer's certificate has been revoked.",
    ),
    (Indication.TOTAL_FAILED, "FORMAT_FAILURE"): (
        "Văn bản đã bị sửa đổi sau khi ký theo cách chữ ký này không cho phép.",
        "The document was modified after it was signed in a way this signature does not permit.",
    ),
    (Indication.INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND"): (
        "Không xác thực được chứng thư số: nó không thuộc gốc tin cậy nào đã được công nhận.",
        "The certificate does not chain to a trusted root.",
    ),
    (Indication.INDETERMINATE, "TRY_LATER"): (
        "Chưa kiểm tra được tình trạng thu hồi của chứng thư số; hãy kiểm tra lại sau.",
        "The certificate's revocation status could not be checked; try again later.",
    ),
    (Indication.INDETERMINATE, "OUT_OF_BOUNDS_NO_POE"): (
        "Chứng thư số đã hết hạn và không có dấu thời gian chứng minh chữ ký có trước đó.",
        "The certificate has expired and no timestamp proves the signature existed before.",
    ),
    (Indication.INDETERMINATE, "REVOKED_NO_POE"): (
        "Chứng thư số đã bị thu hồi và không có dấu thời gian chứng minh chữ ký có trước đó.",
        "The certificate was revoked and no timestamp proves the signature existed before.",
    ),
    (Indication.INDETERMINATE, "NO_POE"): (
        "Không có bằng chứng thời gian cho chữ ký.",
        "There is no proof of when the signature existed.",
    ),
    (Indication.INDETERMINATE, "SIG_CONSTRAINTS_FAILURE"): (
        "Dấu thời gian này được thêm sau một thay đổi trái phép nên không bảo vệ văn bản.",
        "This timestamp was added after a forbidden change, so it does not protect the document.",
    ),
    (Indication.INDETERMINATE, "TIMESTAMP_ORDER_FAILURE"): (
        "Dấu thời gian của chữ ký không hợp lệ hoặc không tin cậy.",
        "The signature's timestamp is not valid or not trusted.",
    ),
}
TIMESTAMP_PASSED = (
    "Dấu thời gian hợp lệ: văn bản không bị thay đổi kể từ thời điểm này.",
    "Valid timestamp: the document has not changed since this moment.",
)
GENERIC_INDETERMINATE = (
    "Chưa đủ căn cứ để kết luận chữ ký hợp lệ.",
    "There is not enough evidence to conclude that the signature is valid.",
)

KIND_LABELS = {
    "signature": ("Chữ ký số", "Digital signature"),
    "document-timestamp": ("Dấu thời gian của văn bản", "Document timestamp"),
}
LEVEL_LABELS = {
    "B-B": ("B-B: chữ ký cơ bản", "B-B: basic signature"),
    "B-T": ("B-T: có dấu thời gian", "B-T: with a timestamp"),
    "B-LT": ("B-LT: kèm dữ liệu kiểm tra lâu dài", "B-LT: with long-term validation data"),
    "B-LTA": ("B-LTA: lưu trữ dài hạn", "B-LTA: long-term archival"),
    "document-timestamp": (
        "Dấu thời gian lưu trữ (bảo vệ toàn bộ văn bản)",
        "Archive timestamp (protects the whole document)",
    ),
}


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
    indication: str
    sub_indication: str | None
    verdict_vi: str
    verdict_en: str
    kind_label_vi: str
    kind_label_en: str
    level_label_vi: str
    level_label_en: str


@dataclass
class ValidationReport:
    signatures: list[SignatureReport] = field(default_factory=list)
    ok: bool = False
    indication: str | None = None
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


def indication_of(status: Any) -> tuple[Indication, str | None]:
    """The ETSI indication of one pyHanko status (signature or document timestamp)."""
    if not status.intact:
        return Indication.TOTAL_FAILED, "HASH_FAILURE"
    if not status.valid:
        return Indication.TOTAL_FAILED, "SIG_CRYPTO_FAILURE"
    problem = getattr(status, "trust_problem_indic", None)
    if getattr(status, "revoked", False):
        # pyHanko's basic check says REVOKED_NO_POE; a revoked key is not accepted for
        # an official document (TT 41), whatever proof of time exists
        return Indication.TOTAL_FAILED, "REVOKED"
    if not status.trusted:
        return Indication.INDETERMINATE, getattr(problem, "name", None) or "GENERIC"
    modification = getattr(status, "modification_level", None)
    if modification is not None and getattr(status, "docmdp_ok", True) is False:
        return Indication.TOTAL_FAILED, "FORMAT_FAILURE"
    timestamp = getattr(status, "timestamp_validity", None)
    if timestamp is not None and not (timestamp.valid and timestamp.intact and timestamp.trusted):
        return Indication.INDETERMINATE, "TIMESTAMP_ORDER_FAILURE"
    return Indication.TOTAL_PASSED, None


def sentence(indication: Indication, sub: str | None) -> tuple[str, str]:
    return SENTENCES.get((indication, sub), GENERIC_INDETERMINATE)


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


def _forbidden_change_before(pdf: bytes, upto: int, field_names: list[str]) -> bool:
    """Whether, in the file as it was at byte ``upto`` (the end of a document
    timestamp's revision), one of the signatures ``field_names`` already saw a change it
    does not permit."""
    reader = PdfFileReader(io.BytesIO(pdf[:upto]), strict=False)
    for sig in reader.embedded_signatures:
        if sig.field_name not in field_names:
            continue
        sig.compute_integrity_info(DEFAULT_DIFF_POLICY)
        result = sig.diff_result
        if not isinstance(result, DiffResult):
            return True  # a suspicious modification
        level, docmdp = result.modification_level, sig.docmdp_level
        if level == ModificationLevel.OTHER or (docmdp is not None and level.value > docmdp.value):
            return True
    return False


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
    modified: list[str] = []  # signatures that saw a forbidden change (in file order)
    for i, sig in enumerate(signatures):
        is_doc_ts = sig.sig_object.get("/Type") == "/DocTimeStamp"
        other = list(sig.other_embedded_certs)
        context = _context(trust_roots, other, fetchers)
        if is_doc_ts:
            status = run_async(async_validate_pdf_timestamp(sig, validation_context=context))
        else:
            status = run_async(
                async_validate_pdf_signature(
                    sig, signer_validation_context=context, ts_validation_context=context
                )
            )
        cert = status.signing_cert
        signer, organisation = _name(cert)
        coverage = getattr(status, "coverage", None)
        modification = getattr(status, "modification_level", None)
        indication, sub = indication_of(status)
        if sub == "FORMAT_FAILURE":
            modified.append(sig.field_name)
        if (
            is_doc_ts
            and indication == Indication.TOTAL_PASSED
            and modified
            and _forbidden_change_before(pdf, sig.byte_range[-2] + sig.byte_range[-1], modified)
        ):
            indication, sub = Indication.INDETERMINATE, "SIG_CONSTRAINTS_FAILURE"
        ts_status = getattr(status, "timestamp_validity", None)
        timestamp = None
        if is_doc_ts:
            timestamp = {"time": iso_vn(status.timestamp), "tsa": signer}
        elif ts_status is not None:
            timestamp = {
                "time": iso_vn(ts_status.timestamp),
                "tsa": _name(ts_status.signing_cert)[0],
            }
        later_doc_ts = any(
            later.sig_object.get("/Type") == "/DocTimeStamp" for later in signatures[i + 1 :]
        )
        if is_doc_ts:
            level = "document-timestamp"
        elif timestamp is None:
            level = "B-B"
        elif later_doc_ts and has_dss:
            level = "B-LTA"
        elif has_dss:
            level = "B-LT"
        else:
            level = "B-T"
        signing_time: datetime | None = getattr(status, "signer_reported_dt", None)
        verdict_vi, verdict_en = (
            TIMESTAMP_PASSED
            if is_doc_ts and indication == Indication.TOTAL_PASSED
            else sentence(indication, sub)
        )
        kind = "document-timestamp" if is_doc_ts else "signature"
        report.signatures.append(
            SignatureReport(
                field=str(sig.field_name),  # a plain str: the PDF object drags its reader along
                kind=kind,
                signer=signer,
                organisation=organisation,
                chain=[_cert_info(c) for c in [cert, *other] if c is not None],
                intact=bool(status.intact),
                valid=bool(status.valid),
                trusted=bool(status.trusted),
                revoked=bool(getattr(status, "revoked", False)),
                signing_time=iso_vn(signing_time) if signing_time else None,
                timestamp=timestamp,
                coverage=str(getattr(coverage, "name", coverage)),
                modification_level=str(getattr(modification, "name", modification)),
                docmdp_ok=bool(getattr(status, "docmdp_ok", True) is not False),
                # a document timestamp has no modification analysis of its own
                bottom_line=bool(getattr(status, "bottom_line", status.valid and status.intact))
                and indication == Indication.TOTAL_PASSED,
                level=level,
                indication=indication.value,
                sub_indication=sub,
                verdict_vi=verdict_vi,
                verdict_en=verdict_en,
                kind_label_vi=KIND_LABELS[kind][0],
                kind_label_en=KIND_LABELS[kind][1],
                level_label_vi=LEVEL_LABELS[level][0],
                level_label_en=LEVEL_LABELS[level][1],
            )
        )
    return _conclude(report)


def _conclude(report: ValidationReport) -> ValidationReport:
    if not report.signatures:
        report.verdict_vi = "Văn bản không có chữ ký số."
        report.verdict_en = "The document has no digital signature."
        return report
    worst = max(report.signatures, key=lambda s: Indication(s.indication).rank)
    report.indication = worst.indication
    report.ok = worst.indication == Indication.TOTAL_PASSED
    people = [s.signer for s in report.signatures if s.kind == "signature"]
    if report.ok:
        report.verdict_vi = f"Hợp lệ: {len(people)} chữ ký ({', '.join(people)})."
        report.verdict_en = f"Valid: {len(people)} signature(s) ({', '.join(people)})."
    else:
        who = worst.signer if worst.kind == "signature" else worst.kind_label_vi.lower()
        who_en = worst.signer if worst.kind == "signature" else worst.kind_label_en.lower()
        word = "Không hợp lệ" if worst.indication == Indication.TOTAL_FAILED else "Chưa xác định"
        word_en = "Not valid" if worst.indication == Indication.TOTAL_FAILED else "Indeterminate"
        report.verdict_vi = f"{word} — {who}: {worst.verdict_vi}"
        report.verdict_en = f"{word_en} — {who_en}: {worst.verdict_en}"
    return report
