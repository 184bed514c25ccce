"""PAdES signatures in two phases, so the key can be far away and the user slow:

1. :func:`prepare` lays out the signature field and appearance, computes the document
   digest and the CMS signed attributes, and returns the SHA-256 digest to be signed
   plus a state (bytes) that survives a restart;
2. a provider signs the digest (with one authorization for a whole batch);
3. :func:`finish` embeds the signature, then climbs the levels that were asked for:
   B-T (signature timestamp), B-LT (validation data in the DSS), B-LTA (document
   timestamp). A TSA or OCSP outage lowers the level achieved — recorded in the outcome —
   and never loses the signature.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from asn1crypto import cms, x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBox, TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper
from pyhanko.sign.validation import async_add_validation_info
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend
from pyhanko_certvalidator.registry import SimpleCertificateStore

from .appearance import Box, font_factory, iso_vn
from .errors import CertificateRevoked, NotAPdf, ProviderError, SigningError
from .providers.base import Credential

R = TypeVar("R")
RESERVED = 24_000  # room for the CMS: chain, signature timestamp token


class Level(StrEnum):
    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"
    B_LTA = "B-LTA"

    @property
    def rank(self) -> int:
        return list(Level).index(self)


@dataclass
class SignatureField:
    name: str
    box: Box | None = None  # None: an invisible signature
    style: TextStampStyle | None = None
    reason: str | None = None
    location: str | None = None
    # Khóa văn bản: after this signature, nothing may change what the pages show — only
    # validation data and document timestamps (archival) may be added.
    lock_document: bool = False


@dataclass(frozen=True)
class Stamp:
    """Text written into the document in the signature's own revision, as an unsigned
    signature field with an opaque appearance: the number and date written at issuing.
    Earlier signatures see only form filling, so they stay valid."""

    name: str
    box: Box
    lines: list[str]
    font_size: int = 12


@dataclass
class PreparedSignature:
    digest: bytes  # SHA-256 of the signed attributes: what the provider signs
    state: bytes  # small JSON; with ``pdf``, all that finish() needs
    pdf: bytes  # the prepared document (kept apart: large, and stored as a blob)


@dataclass
class Outcome:
    requested: Level
    achieved: Level
    warnings: list[str] = field(default_factory=list)
    # B-LTA: until when the archive timestamp can be verified (its TSA certificate)
    archive_until: datetime | None = None


@dataclass
class Trust:
    """Where to fetch timestamps, and what to trust when checking certificates."""

    trust_roots: list[x509.Certificate]
    timestamper: TimeStamper | None = None
    other_certs: list[x509.Certificate] = field(default_factory=list)

    def validation_context(self, *, hard_fail: bool = False) -> ValidationContext:
        return ValidationContext(
            trust_roots=self.trust_roots,
            other_certs=self.other_certs,
            allow_fetching=True,
            revocation_mode="hard-fail" if hard_fail else "soft-fail",
            fetcher_backend=RequestsFetcherBackend(per_request_timeout=10),
        )


_timestampers: dict[str, HTTPTimeStamper] = {}
_loops = threading.local()


def run_async(coroutine: Coroutine[Any, Any, R]) -> R:
    """Run pyHanko's async API on this thread's own event loop. ``asyncio.run`` would
    make a loop per call and, on the main thread, swap the SIGINT handler each time —
    whose bookkeeping formats the finished task, CMS structures included (ms each)."""
    loop = getattr(_loops, "loop", None)
    if loop is None or loop.is_closed():
        loop = _loops.loop = asyncio.new_event_loop()
    return loop.run_until_complete(coroutine)


def timestamper(url: str) -> HTTPTimeStamper:
    """One per URL and process: it caches a dummy token used for size estimates."""
    if url not in _timestampers:
        _timestampers[url] = HTTPTimeStamper(url, timeout=10)
    return _timestampers[url]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def check_certificate(
    credential: Credential,
    trust: Trust,
    *,
    hard_fail: bool = True,
    fetch: bool = True,
    moment: datetime | None = None,
) -> None:
    """Before signing, the certificate must chain to a trusted root, be valid now and not
    be revoked (NĐ 23/2025). ``hard_fail=False`` lets an unreachable OCSP/CRL pass (a
    revoked answer still fails); ``fetch=False`` checks the chain and dates only."""
    from pyhanko_certvalidator import CertificateValidator
    from pyhanko_certvalidator.errors import (
        ExpiredError,
        InvalidCertificateError,
        NotYetValidError,
        PathBuildingError,
        RevokedError,
        ValidationError,
    )

    context = ValidationContext(
        trust_roots=trust.trust_roots,
        other_certs=trust.other_certs,
        allow_fetching=fetch,
        revocation_mode="hard-fail" if hard_fail and fetch else "soft-fail",
        fetcher_backend=RequestsFetcherBackend(per_request_timeout=10),
        moment=moment,
    )
    validator = CertificateValidator(
        credential.certificate,
        intermediate_certs=list(credential.chain),
        validation_context=context,
    )
    try:
        run_async(validator.async_validate_usage({"non_repudiation"}))
    except RevokedError as exc:
        raise CertificateRevoked("The signer's certificate has been revoked.") from exc
    except (ExpiredError, NotYetValidError) as exc:
        raise SigningError(
            "The certificate is not valid at this date.", code="certificate-expired"
        ) from exc
    except (PathBuildingError, InvalidCertificateError) as exc:
        if isinstance(exc, InvalidCertificateError) and credential.certificate.self_signed == "no":
            raise SigningError(
                f"The signer's certificate cannot be used: {exc}", code="certificate-invalid"
            ) from exc
        raise SigningError(
            "The certificate does not chain to a trusted root (give its whole chain, and "
            "make sure its root is one of the configured trust roots).",
            code="certificate-untrusted",
        ) from exc
    except ValidationError as exc:  # invalid signatures in the chain, wrong key usage, …
        raise SigningError(
            f"The signer's certificate cannot be used: {exc}", code="certificate-invalid"
        ) from exc


def check_key(credential: Credential, provider: Any) -> None:
    """Proof of possession: the provider signs a random digest with the credential's key,
    and the signature must verify with the certificate's public key."""
    import secrets

    digest = hashlib.sha256(secrets.token_bytes(32)).digest()
    [value] = provider.sign_digests(credential, [digest])
    try:
        _verify_value(credential.certificate, digest, value)
    except ProviderError as exc:
        raise SigningError(
            "The key does not belong to this certificate.", code="key-mismatch"
        ) from exc


def prepare(
    pdf: bytes,
    credential: Credential,
    signature_field: SignatureField,
    *,
    level: Level,
    signing_time: datetime,
    stamps: list[Stamp] | None = None,
) -> PreparedSignature:
    """Phase 1: everything but the signature value."""
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    except Exception as exc:  # noqa: BLE001 - pypdf/pyhanko raise many kinds
        raise NotAPdf(f"The PDF cannot be read: {exc}") from exc
    if not writer.prev.embedded_signatures:
        _annotations_by_reference(writer)
    for stamp in stamps or []:
        _add_stamp(writer, stamp)
    store = SimpleCertificateStore.from_certs(list(credential.chain))
    placeholder = 256 if credential.key_algorithm == "rsa" else 80
    external = signers.ExternalSigner(credential.certificate, store, signature_value=placeholder)
    spec = None
    if signature_field.box is not None or signature_field.lock_document:
        box = signature_field.box
        lock = signature_field.lock_document
        spec = fields.SigFieldSpec(
            sig_field_name=signature_field.name,
            on_page=box.page - 1 if box else 0,
            box=(int(box.x1), int(box.y1), int(box.x2), int(box.y2)) if box else None,
            field_mdp_spec=fields.FieldMDPSpec(fields.FieldMDPAction.ALL) if lock else None,
            doc_mdp_update_value=fields.MDPPerm.NO_CHANGES if lock else None,
        )
    pdf_signer = signers.PdfSigner(
        signers.PdfSignatureMetadata(
            field_name=signature_field.name,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            docmdp_permissions=(
                fields.MDPPerm.NO_CHANGES
                if signature_field.lock_document
                else fields.MDPPerm.FILL_FORMS
            ),
            reason=signature_field.reason,
            location=signature_field.location,
        ),
        signer=external,
        stamp_style=signature_field.style,
        new_field_spec=spec,
    )
    text_params = {"ts": iso_vn(signing_time)}
    prepared_digest, _tbs, output = run_async(
        pdf_signer.async_digest_doc_for_signing(
            writer, bytes_reserved=RESERVED, appearance_text_params=text_params
        )
    )
    signed_attrs = run_async(
        external.signed_attrs(prepared_digest.document_digest, "sha256", use_pades=True)
    )
    der = signed_attrs.dump()
    state = {
        "v": 2,
        "document_digest": _b64(prepared_digest.document_digest),
        "start": prepared_digest.reserved_region_start,
        "end": prepared_digest.reserved_region_end,
        "signed_attrs": _b64(der),
        "certificate": _b64(credential.certificate.dump()),
        "chain": [_b64(c.dump()) for c in credential.chain],
        "level": str(level),
        "field": signature_field.name,
    }
    return PreparedSignature(
        hashlib.sha256(der).digest(), json.dumps(state).encode(), output.getvalue()
    )


def _annotations_by_reference(writer: IncrementalPdfFileWriter) -> None:
    """Some PDF producers (FPDF2 among them) write a page's annotations as direct
    objects inside ``/Annots``. Every later revision we add (validation data, archive
    timestamps) touches that array, and a validator cannot tell a direct annotation that
    was changed from one that was not: it rejects the change. In the signature's own
    revision each annotation becomes an indirect object, so what follows is checkable."""
    pages = writer.root["/Pages"]
    for index in range(int(pages["/Count"])):
        page_ref = writer.find_page_for_modification(index)[0]
        page = page_ref.get_object()
        annots = page.get("/Annots")
        if annots is None:
            continue
        items = annots.get_object()
        if all(isinstance(a, generic.IndirectObject) for a in items):
            continue
        page["/Annots"] = generic.ArrayObject(
            a if isinstance(a, generic.IndirectObject) else writer.add_object(a) for a in items
        )
        writer.update_container(page)


def _add_stamp(writer: IncrementalPdfFileWriter, stamp: Stamp) -> None:
    box = stamp.box
    fields.append_signature_field(
        writer,
        fields.SigFieldSpec(
            stamp.name,
            on_page=box.page - 1,
            box=(int(box.x1), int(box.y1), int(box.x2), int(box.y2)),
        ),
    )
    width, height = int(box.x2) - int(box.x1), int(box.y2) - int(box.y1)
    text = TextBox(
        TextBoxStyle(font=font_factory(), font_size=stamp.font_size), writer, font_name="F1"
    )
    text.content = "\n".join(stamp.lines)
    # White paper first, so the blanks of the draft ("Số:    /QĐ-UBND") are covered;
    # then the text at its real size, from the top left.
    ops = b"q 1 g 0 0 %d %d re f Q q 1 0 0 1 1 0 cm " % (width, height) + text.render() + b" Q"
    appearance = generic.StreamObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/XObject"),
            generic.NameObject("/Subtype"): generic.NameObject("/Form"),
            generic.NameObject("/BBox"): generic.ArrayObject(
                [generic.NumberObject(v) for v in (0, 0, width, height)]
            ),
            generic.NameObject("/Resources"): text.resources.as_pdf_object(),
        },
        stream_data=ops,
    )
    normal = writer.add_object(appearance)
    for field_ref in writer.root["/AcroForm"]["/Fields"]:
        field = field_ref.get_object()
        if field.get("/T") == stamp.name:
            field["/AP"] = generic.DictionaryObject({generic.NameObject("/N"): normal})
            writer.update_container(field)
            return
    raise SigningError(f"The field {stamp.name} was not created.", code="stamp-failed")


def _verify_value(certificate: x509.Certificate, digest: bytes, value: bytes) -> None:
    """A provider's answer must be a signature of this digest by this certificate's key."""
    public = serialization.load_der_public_key(certificate.public_key.dump())
    prehashed = utils.Prehashed(hashes.SHA256())
    try:
        if isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(value, digest, ec.ECDSA(prehashed))
        else:
            public.verify(value, digest, padding.PKCS1v15(), prehashed)  # type: ignore[union-attr]
    except InvalidSignature as exc:
        raise ProviderError(
            "The provider's signature does not match the document and certificate.",
            code="provider-bad-signature",
        ) from exc


def finish(state: bytes, pdf: bytes, signature_value: bytes, trust: Trust) -> tuple[bytes, Outcome]:
    """Phase 3: embed the signature into the prepared ``pdf`` and add what the requested
    level needs."""
    data: dict[str, Any] = json.loads(state)
    certificate = x509.Certificate.load(base64.b64decode(data["certificate"]))
    chain = [x509.Certificate.load(base64.b64decode(c)) for c in data["chain"]]
    signed_attrs = cms.CMSAttributes.load(base64.b64decode(data["signed_attrs"]))
    _verify_value(certificate, hashlib.sha256(signed_attrs.dump()).digest(), signature_value)
    requested = Level(data["level"])
    outcome = Outcome(requested, Level.B_B)
    external = signers.ExternalSigner(
        certificate, SimpleCertificateStore.from_certs(chain), signature_value=signature_value
    )
    signature_cms = None
    if requested.rank >= Level.B_T.rank and trust.timestamper is not None:
        try:
            signature_cms = run_async(
                external.async_sign_prescribed_attributes(
                    "sha256", signed_attrs=signed_attrs, timestamper=trust.timestamper
                )
            )
            outcome.achieved = Level.B_T
        except Exception as exc:  # noqa: BLE001 - any TSA failure: keep the signature
            outcome.warnings.append(f"timestamp unavailable, signed without it: {exc}"[:300])
    if signature_cms is None:
        signature_cms = run_async(
            external.async_sign_prescribed_attributes("sha256", signed_attrs=signed_attrs)
        )
    output = io.BytesIO(pdf)
    prepared = PreparedByteRangeDigest(
        base64.b64decode(data["document_digest"]), data["start"], data["end"]
    )
    PdfTBSDocument.finish_signing(output, prepared, signature_cms)
    signed = output.getvalue()

    if requested.rank >= Level.B_LT.rank and outcome.achieved == Level.B_T:
        try:
            reader = PdfFileReader(io.BytesIO(signed))
            embedded = next(s for s in reader.embedded_signatures if s.field_name == data["field"])
            with_dss = run_async(_add_validation_info(embedded, trust.validation_context()))
            signed = with_dss
            outcome.achieved = Level.B_LT
        except Exception as exc:  # noqa: BLE001 - OCSP/CRL outage: stay at B-T
            outcome.warnings.append(f"validation data unavailable, kept B-T: {exc}"[:300])
    if requested == Level.B_LTA and outcome.achieved == Level.B_LT:
        try:
            signed = _document_timestamp(signed, trust)
            outcome.achieved = Level.B_LTA
            outcome.archive_until = tsa_certificate_expiry(trust)
        except Exception as exc:  # noqa: BLE001
            outcome.warnings.append(f"archive timestamp unavailable, kept B-LT: {exc}"[:300])
    return signed, outcome


async def _add_validation_info(embedded: Any, context: ValidationContext) -> bytes:
    out = io.BytesIO()
    await async_add_validation_info(embedded, context, output=out)
    return out.getvalue()


def tsa_certificate_expiry(trust: Trust) -> datetime:
    """When the TSA's certificate ends (read from its token that pyHanko keeps for size
    estimates: no extra request, no parsing of the signed PDF)."""
    assert trust.timestamper is not None
    token = run_async(trust.timestamper.async_dummy_response("sha256"))
    signed_data = token["content"]
    sid = signed_data["signer_infos"][0]["sid"].chosen
    for choice in signed_data["certificates"]:
        cert = choice.chosen
        if isinstance(sid, cms.IssuerAndSerialNumber):
            if cert.issuer == sid["issuer"] and cert.serial_number == sid["serial_number"].native:
                return cert.not_valid_after
        elif cert.key_identifier == sid.native:
            return cert.not_valid_after
    raise SigningError("The TSA's certificate is not in its token.", code="tsa-certificate")


def _document_timestamp(pdf: bytes, trust: Trust) -> bytes:
    assert trust.timestamper is not None
    out = io.BytesIO()
    run_async(
        signers.PdfTimeStamper(trust.timestamper).async_timestamp_pdf(
            IncrementalPdfFileWriter(io.BytesIO(pdf)),
            "sha256",
            validation_context=trust.validation_context(),
            output=out,
        )
    )
    return out.getvalue()


def newest_archive_expiry(pdf: bytes) -> datetime | None:
    """Until when the newest document timestamp of ``pdf`` can be verified: its TSA
    certificate's expiry. None when the PDF has no document timestamp (not B-LTA)."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        stamps = [
            s for s in reader.embedded_signatures if s.sig_object.get("/Type") == "/DocTimeStamp"
        ]
    except Exception as exc:  # noqa: BLE001 - malformed PDFs raise many kinds
        raise NotAPdf(f"The PDF cannot be read: {exc}") from exc
    if not stamps:
        return None
    return stamps[-1].signer_cert.not_valid_after


def renew_archive_timestamp(pdf: bytes, trust: Trust) -> bytes:
    """Gia hạn lưu trữ: validation data for the newest document timestamp, then a fresh
    document timestamp over everything (PAdES B-LTA, ETSI EN 319 142-1 §5.5): the
    signatures stay verifiable after the old TSA certificate expires."""
    if trust.timestamper is None:
        raise SigningError("No timestamp authority is configured.", code="tsa-missing")
    out = io.BytesIO()
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    try:
        run_async(
            signers.PdfTimeStamper(trust.timestamper).async_update_archival_timestamp_chain(
                reader, trust.validation_context(), in_place=False, output=out
            )
        )
    except Exception as exc:  # noqa: BLE001 - TSA/OCSP outage, unreadable chain
        raise SigningError(f"The archive timestamp could not be renewed: {exc}"[:500]) from exc
    return out.getvalue()


def sign(
    pdf: bytes,
    credential: Credential,
    provider: Any,
    signature_field: SignatureField,
    *,
    level: Level,
    trust: Trust,
    signing_time: datetime,
) -> tuple[bytes, Outcome]:
    """Prepare, sign with a synchronous provider, finish: the one-shot path."""
    prepared = prepare(pdf, credential, signature_field, level=level, signing_time=signing_time)
    [value] = provider.sign_digests(credential, [prepared.digest])
    return finish(prepared.state, prepared.pdf, value, trust)


@dataclass
class BatchItem:
    """One document of a batch: its signed bytes and outcome, or why it failed."""

    index: int
    pdf: bytes | None = None
    outcome: Outcome | None = None
    error: SigningError | None = None


def finish_many(
    jobs: list[tuple[bytes, bytes, bytes]], trust: Trust, workers: int = 4
) -> list[tuple[bytes, Outcome] | SigningError]:
    """:func:`finish` for many (state, pdf, value) at once: the timestamp and revocation
    requests of one document wait on the network while another is embedded."""
    from concurrent.futures import ThreadPoolExecutor

    def one(job: tuple[bytes, bytes, bytes]) -> tuple[bytes, Outcome] | SigningError:
        try:
            return finish(*job, trust)
        except SigningError as exc:
            return exc

    if workers <= 1 or len(jobs) <= 1:
        return [one(job) for job in jobs]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, jobs))


def sign_batch(
    documents: list[tuple[bytes, SignatureField]],
    credential: Credential,
    provider: Any,
    *,
    level: Level,
    trust: Trust,
    signing_time: datetime,
    workers: int = 4,
) -> list[BatchItem]:
    """Many documents, one provider call (one authorization): prepare each, sign all the
    digests together, finish each. A document that fails does not stop the others."""
    items = [BatchItem(i) for i in range(len(documents))]
    prepared: list[tuple[BatchItem, PreparedSignature]] = []
    for item, (pdf, signature_field) in zip(items, documents, strict=True):
        try:
            prepared.append(
                (
                    item,
                    prepare(
                        pdf, credential, signature_field, level=level, signing_time=signing_time
                    ),
                )
            )
        except SigningError as exc:
            item.error = exc
    if prepared:
        values = provider.sign_digests(credential, [p.digest for _, p in prepared])
        results = finish_many(
            [(p.state, p.pdf, value) for (_, p), value in zip(prepared, values, strict=True)],
            trust,
            workers,
        )
        for (item, _), result in zip(prepared, results, strict=True):
            if isinstance(result, SigningError):
                item.error = result
            else:
                item.pdf, item.outcome = result
    return items
