"""edXML (QCVN 102:2016) packages: build ours, read anyone's.

Pure functions, no database: ``build_edoc``/``build_status`` write the element order of
STANDARDS.md (root ``edXML`` in the namespace ``http://www.mic.gov.vn/TBT/QCVN_102_2016``,
the envelope and its children with the ``edXML`` prefix, the attachments beside the
envelope), the way the VXP SDK's own packages look. ``parse`` reads a package into
``Edoc`` or ``Status`` and refuses, with a reason in Vietnamese and English, what cannot
be trusted: malformed XML, any DTD (no entity is ever expanded or fetched: XXE, billion
laughs), missing required elements, undecodable or oversized attachments, zip bombs.

Reading is tolerant where real senders differ (element order, the namespace prefix,
zipped or plain attachments, whitespace in base64, a stray HTTP chunk-size line before
the XML declaration); writing is exact.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from xml.sax.saxutils import escape

from lxml import etree

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
STATUS_CODES = {"01", "02", "03", "04", "05", "06", "13", "15", "16"}
STATUS_LABELS_VI = {
    "01": "Đã đến",
    "02": "Từ chối tiếp nhận",
    "03": "Đã tiếp nhận, vào sổ",
    "04": "Đã phân công xử lý",
    "05": "Đang xử lý",
    "06": "Hoàn thành xử lý",
    "13": "Yêu cầu lấy lại văn bản",
    "15": "Đồng ý cập nhật, lấy lại",
    "16": "Từ chối cập nhật, lấy lại",
}
STATUS_LABELS_EN = {
    "01": "Arrived",
    "02": "Refused",
    "03": "Registered",
    "04": "Assigned",
    "05": "In progress",
    "06": "Completed",
    "13": "Recall requested",
    "15": "Recall/update accepted",
    "16": "Recall/update refused",
}


class BusinessType:
    """BussinessDocType: what a package does to the document it carries."""

    NEW = 0
    REVOKE = 1
    UPDATE = 2
    REPLACE = 3


# -- the package, as data ------------------------------------------------------------------


@dataclass
class Organ:
    organ_id: str = ""
    organization_in_charge: str = ""
    organ_name: str = ""
    organ_add: str = ""
    email: str = ""
    telephone: str = ""
    fax: str = ""
    website: str = ""


@dataclass
class StaffInfo:
    department: str = ""
    staff: str = ""
    email: str = ""
    mobile: str = ""


@dataclass
class ResponseFor:
    organ_id: str = ""
    code: str = ""
    promulgation_date: date | None = None
    document_id: str = ""


@dataclass
class TraceHeader:
    organ_id: str = ""
    timestamp: datetime | None = None  # Vietnam time, as written (no offset in edXML)


@dataclass
class ReplacementInfo:
    document_id: str = ""
    organ_ids: list[str] = field(default_factory=list)


@dataclass
class Receiver:
    organ_id: str = ""
    receiver_type: str = ""


@dataclass
class Business:
    doc_type: int = BusinessType.NEW
    reason: str = ""
    paper: str = "0"
    document_id: str = ""  # some senders repeat a DocumentId here
    staff: StaffInfo | None = None
    replacements: list[ReplacementInfo] = field(default_factory=list)
    # BussinessDocumentInfo (updates): what changed
    document_info: str = ""
    document_receiver: str = ""
    receivers: list[Receiver] = field(default_factory=list)


@dataclass
class Attachment:
    content_id: str
    name: str
    content_type: str
    data: bytes
    description: str = ""


@dataclass
class Edoc:
    sender: Organ
    recipients: list[Organ]
    document_id: str
    code_number: str
    code_notation: str
    promulgation_date: date
    subject: str
    place: str = ""
    type: str = "1"
    type_detail: str = "0"
    type_name: str = ""
    content: str = ""
    signer_competence: str = ""
    signer_position: str = ""
    signer_full_name: str = ""
    due_date: date | None = None
    priority: int = 0
    sphere: str = ""
    typer_notation: str = ""
    promulgation_amount: int | None = None
    page_amount: int | None = None
    direction: str = "false"
    appendixes: list[str] = field(default_factory=list)
    response_for: ResponseFor | None = None
    steering_type: str = "0"
    to_places: list[str] = field(default_factory=list)
    traces: list[TraceHeader] = field(default_factory=list)
    business: Business = field(default_factory=Business)
    attachments: list[Attachment] = field(default_factory=list)
    has_signature: bool = False  # the envelope's XML signature (not relied on)

    @property
    def number_symbol(self) -> str:
        return (
            f"{self.code_number}/{self.code_notation}" if self.code_notation else self.code_number
        )


@dataclass
class Status:
    sender: Organ
    response_for: ResponseFor
    code: str
    description: str = ""
    timestamp: datetime | None = None  # Vietnam time
    staff: StaffInfo | None = None


def document_id(organ_id: str, issued: date, number_symbol: str) -> str:
    """``000.00.00.G22,2015/09/30,7816/VPCP-TTĐT``."""
    return f"{organ_id},{issued:%Y/%m/%d},{number_symbol}"


# -- refusals ----------------------------------------------------------------------------


class PackageError(Exception):
    """A package we cannot accept. ``sender`` and ``document_id`` are filled when the
    package still tells who sent it, so the refusal (status 02) can go back."""

    def __init__(
        self,
        code: str,
        reason_vi: str,
        reason_en: str,
        *,
        sender: str = "",
        document_id: str = "",
    ) -> None:
        super().__init__(reason_en)
        self.code = code
        self.reason_vi = reason_vi
        self.reason_en = reason_en
        self.sender = sender
        self.document_id = document_id


@dataclass(frozen=True)
class Limits:
    max_package: int = 100 * 1024 * 1024  # bytes of XML
    max_attachment: int = 50 * 1024 * 1024  # decoded (and unzipped) bytes per file
    max_files: int = 50  # per package, after unzipping
    max_ratio: int = 200  # zip: uncompressed / compressed, per member


# -- writing ---------------------------------------------------------------------------


def _text(value: object) -> str:
    return escape("" if value is None else str(value))


def _el(name: str, value: object) -> str:
    return f"<edXML:{name}>{_text(value)}</edXML:{name}>"


def _organ(tag: str, o: Organ) -> str:
    return (
        f"<edXML:{tag}>"
        + _el("OrganId", o.organ_id)
        + _el("OrganizationInCharge", o.organization_in_charge)
        + _el("OrganName", o.organ_name)
        + _el("OrganAdd", o.organ_add)
        + _el("Email", o.email)
        + _el("Telephone", o.telephone)
        + _el("Fax", o.fax)
        + _el("Website", o.website)
        + f"</edXML:{tag}>"
    )


def _staff(s: StaffInfo | None) -> str:
    if s is None:
        return ""
    return (
        "<edXML:StaffInfo>"
        + _el("Department", s.department)
        + _el("Staff", s.staff)
        + _el("Email", s.email)
        + _el("Mobile", s.mobile)
        + "</edXML:StaffInfo>"
    )


def _ymd(value: date | None) -> str:
    return value.strftime("%Y/%m/%d") if value else ""


def _stamp(value: datetime | None) -> str:
    return value.strftime("%Y/%m/%d %H:%M:%S") if value else ""


def _response_for(r: ResponseFor | None) -> str:
    if r is None:
        return ""
    return (
        "<edXML:ResponseFor>"
        + _el("OrganId", r.organ_id)
        + _el("Code", r.code)
        + _el("PromulgationDate", _ymd(r.promulgation_date))
        + _el("DocumentId", r.document_id)
        + "</edXML:ResponseFor>"
    )


HEAD = f'<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="{NS}">'
ENVELOPE = f'<edXML:edXMLEnvelope xmlns:edXML="{NS}">'


def build_edoc(doc: Edoc) -> bytes:
    """The package of a document, in the element order of STANDARDS.md."""
    o = doc
    business = o.business
    parts = [
        HEAD,
        ENVELOPE,
        "<edXML:edXMLHeader><edXML:MessageHeader>",
        _organ("From", o.sender),
        *(_organ("To", r) for r in o.recipients),
        _el("DocumentId", o.document_id),
        "<edXML:Code>",
        _el("CodeNumber", o.code_number),
        _el("CodeNotation", o.code_notation),
        "</edXML:Code>",
        "<edXML:PromulgationInfo>",
        _el("Place", o.place),
        _el("PromulgationDate", _ymd(o.promulgation_date)),
        "</edXML:PromulgationInfo>",
        "<edXML:DocumentType>",
        _el("Type", o.type),
        _el("TypeDetail", o.type_detail),
        _el("TypeName", o.type_name),
        "</edXML:DocumentType>",
        _el("Subject", o.subject),
        _el("Content", o.content),
        "<edXML:SignerInfo>",
        _el("Competence", o.signer_competence),
        _el("Position", o.signer_position),
        _el("FullName", o.signer_full_name),
        "</edXML:SignerInfo>",
        _el("DueDate", _ymd(o.due_date)),
        "<edXML:OtherInfo>",
        _el("Priority", o.priority),
        _el("SphereOfPromulgation", o.sphere),
        _el("TyperNotation", o.typer_notation),
        _el("PromulgationAmount", o.promulgation_amount if o.promulgation_amount else ""),
        _el("PageAmount", o.page_amount if o.page_amount else ""),
        _el("Direction", o.direction),
        "<edXML:Appendixes>",
        *(_el("Appendix", a) for a in o.appendixes),
        "</edXML:Appendixes>",
        "</edXML:OtherInfo>",
        _response_for(o.response_for),
        _el("SteeringType", o.steering_type),
        "<edXML:ToPlaces>",
        *(_el("Place", p) for p in o.to_places),
        "</edXML:ToPlaces>",
        "</edXML:MessageHeader>",
        "<edXML:TraceHeaderList>",
        *(
            "<edXML:TraceHeader>"
            + _el("OrganId", t.organ_id)
            + _el("Timestamp", _stamp(t.timestamp))
            + "</edXML:TraceHeader>"
            for t in o.traces
        ),
        "<edXML:Bussiness>",
        _el("BussinessDocType", business.doc_type),
        _el("BussinessDocReason", business.reason),
        _el("Paper", business.paper),
        _staff(business.staff),
    ]
    if business.doc_type == BusinessType.UPDATE and (
        business.document_info or business.document_receiver or business.receivers
    ):
        parts += [
            "<edXML:BussinessDocumentInfo>",
            _el("DocumentInfo", business.document_info),
            _el("DocumentReceiver", business.document_receiver),
            "<edXML:ReceiverList>",
            *(
                "<edXML:Receiver>"
                + _el("OrganId", r.organ_id)
                + _el("ReceiverType", r.receiver_type)
                + "</edXML:Receiver>"
                for r in business.receivers
            ),
            "</edXML:ReceiverList>",
            "</edXML:BussinessDocumentInfo>",
        ]
    if business.replacements:
        parts.append("<edXML:ReplacementInfoList>")
        for r in business.replacements:
            parts += [
                "<edXML:ReplacementInfo>",
                _el("DocumentId", r.document_id),
                "<edXML:OrganIdList>",
                *(_el("OrganId", code) for code in r.organ_ids),
                "</edXML:OrganIdList>",
                "</edXML:ReplacementInfo>",
            ]
        parts.append("</edXML:ReplacementInfoList>")
    parts += [
        "</edXML:Bussiness>",
        "</edXML:TraceHeaderList>",
        "</edXML:edXMLHeader>",
        '<edXML:edXMLBody><edXML:edXMLManifest version="1.0">',
        *(
            "<edXML:Reference>"
            + _el("ContentId", a.content_id)
            + _el("ContentType", a.content_type)
            + _el("Description", a.description or a.name)
            + _el("AttachmentName", a.name)
            + "</edXML:Reference>"
            for a in o.attachments
        ),
        "</edXML:edXMLManifest></edXML:edXMLBody>",
        "</edXML:edXMLEnvelope>",
        "<AttachmentEncoded>",
    ]
    head = "".join(parts).encode("utf-8")
    # base64 is ASCII and never needs escaping: the bytes are joined, not re-encoded
    chunks = [head]
    for a in o.attachments:
        chunks.append(
            (
                "<Attachment>"
                f"<ContentId>{_text(a.content_id)}</ContentId>"
                f"<AttachmentName>{_text(a.name)}</AttachmentName>"
                f"<ContentType>{_text(a.content_type)}</ContentType>"
                "<ContentTransferEncoded>"
            ).encode()
        )
        chunks.append(base64.b64encode(a.data))
        chunks.append(b"</ContentTransferEncoded></Attachment>")
    chunks.append(b"</AttachmentEncoded></edXML>")
    return b"".join(chunks)


def build_status(status: Status) -> bytes:
    parts = [
        HEAD,
        ENVELOPE,
        "<edXML:edXMLHeader><edXML:MessageHeader>",
        _organ("From", status.sender),
        _response_for(status.response_for),
        _staff(status.staff),
        _el("StatusCode", status.code),
        _el("Description", status.description),
        _el("Timestamp", _stamp(status.timestamp)),
        "</edXML:MessageHeader></edXML:edXMLHeader>",
        "</edXML:edXMLEnvelope></edXML>",
    ]
    return "".join(parts).encode("utf-8")


def new_content_id() -> str:
    return f"cid:{uuid.uuid4()}"


# -- reading ---------------------------------------------------------------------------

# A stray HTTP/1.1 chunk-size line left in front of the XML by a careless dump (the SDK's
# own sample begins with "1212"): hex digits and whitespace only, nothing else.
_CHUNK_PREFIX = re.compile(rb"^\s*[0-9A-Fa-f]{1,8}\s*(?=<)")


def _parser() -> etree.XMLParser:
    # No DTD is loaded, no entity resolved, nothing fetched; huge_tree because a 50 MB
    # attachment is one 67 MB base64 text node. A DTD is refused after parsing anyway.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,
        remove_blank_text=False,
    )


def _t(el: etree._Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def _find(el: etree._Element | None, path: str) -> etree._Element | None:
    if el is None:
        return None
    return el.find(path)


def _get(el: etree._Element | None, path: str) -> str:
    return _t(_find(el, path))


def _p(*names: str) -> str:
    """An ElementPath matching local names in any namespace (senders differ)."""
    return "/".join(f"{{*}}{n}" for n in names)


def _date(value: str) -> date | None:
    value = value.strip()
    for fmt in ("%Y/%m/%d", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def _timestamp(value: str) -> datetime | None:
    value = value.strip()
    for fmt in ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


def _int(value: str) -> int | None:
    try:
        return int(value.strip())
    except (ValueError, AttributeError):
        return None


def _organ_of(el: etree._Element | None) -> Organ:
    return Organ(
        organ_id=_get(el, _p("OrganId")),
        organization_in_charge=_get(el, _p("OrganizationInCharge")),
        organ_name=_get(el, _p("OrganName")),
        organ_add=_get(el, _p("OrganAdd")),
        email=_get(el, _p("Email")),
        telephone=_get(el, _p("Telephone")),
        fax=_get(el, _p("Fax")),
        website=_get(el, _p("Website")),
    )


def _staff_of(el: etree._Element | None) -> StaffInfo | None:
    if el is None:
        return None
    return StaffInfo(
        department=_get(el, _p("Department")),
        staff=_get(el, _p("Staff")),
        email=_get(el, _p("Email")),
        mobile=_get(el, _p("Mobile")),
    )


def _response_for_of(el: etree._Element | None) -> ResponseFor | None:
    if el is None:
        return None
    r = ResponseFor(
        organ_id=_get(el, _p("OrganId")),
        code=_get(el, _p("Code")),
        promulgation_date=_date(_get(el, _p("PromulgationDate"))),
        document_id=_get(el, _p("DocumentId")),
    )
    # an empty block (some senders write one with blank fields) says nothing
    return r if (r.organ_id or r.code or r.document_id) else None


def _load(data: bytes, limits: Limits) -> etree._Element:
    if len(data) > limits.max_package:
        raise PackageError(
            "package-too-large",
            f"Gói tin vượt quá {limits.max_package // (1024 * 1024)} MB.",
            f"The package is larger than {limits.max_package // (1024 * 1024)} MB.",
        )
    if data.lstrip()[:1] != b"<":  # (the copy only for the odd package that needs it)
        data = _CHUNK_PREFIX.sub(b"", data[:64], count=1) + data[64:]
    head = data[:4096]
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise _dtd_refused()
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise PackageError(
            "malformed-xml",
            f"Gói tin không phải XML hợp lệ: {exc.msg}",
            f"The package is not well-formed XML: {exc.msg}",
        ) from exc
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise _dtd_refused()
    if etree.QName(root).localname != "edXML":
        raise PackageError(
            "not-edxml",
            "Gói tin không phải edXML (phần tử gốc không phải edXML).",
            "The package is not edXML (the root element is not edXML).",
        )
    return root


def _dtd_refused() -> PackageError:
    return PackageError(
        "dtd-forbidden",
        "Gói tin chứa khai báo DTD/thực thể, không được chấp nhận.",
        "The package declares a DTD or entities, which are not accepted.",
    )


def parse(data: bytes, limits: Limits | None = None) -> Edoc | Status:
    """Read a package: a document (``Edoc``) or a status packet (``Status``)."""
    limits = limits or Limits()
    root = _load(data, limits)
    header = root.find(_p("edXMLEnvelope", "edXMLHeader"))
    message = _find(header, _p("MessageHeader"))
    if message is None:
        raise PackageError(
            "missing-element",
            "Gói tin thiếu phần tử bắt buộc: MessageHeader.",
            "The package lacks a required element: MessageHeader.",
        )
    sender = _organ_of(message.find(_p("From")))
    if message.find(_p("StatusCode")) is not None:
        return _status(message, sender)
    return _edoc(root, header, message, sender, limits)


def _missing(names: list[str], sender: str, doc_id: str) -> PackageError:
    listed = ", ".join(names)
    return PackageError(
        "missing-element",
        f"Gói tin thiếu phần tử bắt buộc: {listed}.",
        f"The package lacks required elements: {listed}.",
        sender=sender,
        document_id=doc_id,
    )


def _status(message: etree._Element, sender: Organ) -> Status:
    response_for = _response_for_of(message.find(_p("ResponseFor")))
    code = _get(message, _p("StatusCode"))
    missing = []
    if not sender.organ_id:
        missing.append("From/OrganId")
    if response_for is None or not response_for.document_id:
        missing.append("ResponseFor/DocumentId")
    if missing:
        raise _missing(missing, sender.organ_id, response_for.document_id if response_for else "")
    assert response_for is not None
    if code not in STATUS_CODES:
        raise PackageError(
            "unknown-status",
            f"Mã trạng thái không hợp lệ: {code!r}.",
            f"Unknown status code: {code!r}.",
            sender=sender.organ_id,
            document_id=response_for.document_id,
        )
    return Status(
        sender=sender,
        response_for=response_for,
        code=code,
        description=_get(message, _p("Description")),
        timestamp=_timestamp(_get(message, _p("Timestamp"))),
        staff=_staff_of(message.find(_p("StaffInfo"))),
    )


def _business_of(el: etree._Element | None) -> Business:
    if el is None:
        return Business()
    info = el.find(_p("BussinessDocumentInfo"))
    return Business(
        doc_type=_int(_get(el, _p("BussinessDocType"))) or 0,
        reason=_get(el, _p("BussinessDocReason")),
        paper=_get(el, _p("Paper")),
        document_id=_get(el, _p("DocumentId")),
        staff=_staff_of(el.find(_p("StaffInfo"))),
        replacements=[
            ReplacementInfo(
                document_id=_get(r, _p("DocumentId")),
                organ_ids=[_t(o) for o in r.iterfind(_p("OrganIdList", "OrganId"))],
            )
            for r in el.iterfind(_p("ReplacementInfoList", "ReplacementInfo"))
        ],
        document_info=_get(info, _p("DocumentInfo")),
        document_receiver=_get(info, _p("DocumentReceiver")),
        receivers=[
            Receiver(organ_id=_get(r, _p("OrganId")), receiver_type=_get(r, _p("ReceiverType")))
            for r in (info.iterfind(_p("ReceiverList", "Receiver")) if info is not None else [])
        ],
    )


def _edoc(
    root: etree._Element,
    header: etree._Element | None,
    message: etree._Element,
    sender: Organ,
    limits: Limits,
) -> Edoc:
    recipients = [_organ_of(t) for t in message.iterfind(_p("To"))]
    code_number = _get(message, _p("Code", "CodeNumber"))
    code_notation = _get(message, _p("Code", "CodeNotation"))
    promulgation = _get(message, _p("PromulgationInfo", "PromulgationDate"))
    issued = _date(promulgation)
    subject = _get(message, _p("Subject"))
    doc_id = _get(message, _p("DocumentId"))
    missing = []
    if not sender.organ_id:
        missing.append("From/OrganId")
    if not any(r.organ_id for r in recipients):
        missing.append("To/OrganId")
    if not code_number:
        missing.append("Code/CodeNumber")
    if issued is None:
        missing.append("PromulgationInfo/PromulgationDate")
    if not subject:
        missing.append("Subject")
    if not doc_id and sender.organ_id and issued and code_number:
        # DocumentId is the sender's key for statuses; rebuild it when left out
        doc_id = document_id(
            sender.organ_id,
            issued,
            f"{code_number}/{code_notation}" if code_notation else code_number,
        )
    if missing:
        raise _missing(missing, sender.organ_id, doc_id)
    assert issued is not None
    other = message.find(_p("OtherInfo"))
    trace_list = _find(header, _p("TraceHeaderList"))
    attachments = _attachments(root, limits, sender.organ_id, doc_id)
    return Edoc(
        sender=sender,
        recipients=recipients,
        document_id=doc_id,
        code_number=code_number,
        code_notation=code_notation,
        promulgation_date=issued,
        subject=subject,
        place=_get(message, _p("PromulgationInfo", "Place")),
        type=_get(message, _p("DocumentType", "Type")),
        type_detail=_get(message, _p("DocumentType", "TypeDetail")),
        type_name=_get(message, _p("DocumentType", "TypeName")),
        content=_get(message, _p("Content")),
        signer_competence=_get(message, _p("SignerInfo", "Competence")),
        signer_position=_get(message, _p("SignerInfo", "Position")),
        signer_full_name=_get(message, _p("SignerInfo", "FullName")),
        due_date=_date(_get(message, _p("DueDate"))),
        priority=_int(_get(other, _p("Priority"))) or 0,
        sphere=_get(other, _p("SphereOfPromulgation")),
        typer_notation=_get(other, _p("TyperNotation")),
        promulgation_amount=_int(_get(other, _p("PromulgationAmount"))),
        page_amount=_int(_get(other, _p("PageAmount"))),
        direction=_get(other, _p("Direction")),
        appendixes=[
            _t(a)
            for a in (other.iterfind(_p("Appendixes", "Appendix")) if other is not None else [])
        ],
        response_for=_response_for_of(message.find(_p("ResponseFor"))),
        steering_type=_get(message, _p("SteeringType")),
        to_places=[_t(p) for p in message.iterfind(_p("ToPlaces", "Place"))],
        traces=[
            TraceHeader(
                organ_id=_get(t, _p("OrganId")),
                timestamp=_timestamp(_get(t, _p("Timestamp"))),
            )
            for t in (trace_list.iterfind(_p("TraceHeader")) if trace_list is not None else [])
        ],
        business=_business_of(_find(trace_list, _p("Bussiness"))),
        attachments=attachments,
        has_signature=_find(header, _p("Signature")) is not None,
    )


def _attachments(
    root: etree._Element, limits: Limits, sender: str, doc_id: str
) -> list[Attachment]:
    def refuse(code: str, vi: str, en: str) -> PackageError:
        return PackageError(code, vi, en, sender=sender, document_id=doc_id)

    manifest = root.find(_p("edXMLEnvelope", "edXMLBody", "edXMLManifest"))
    references = {
        _get(r, _p("ContentId")): r
        for r in (manifest.iterfind(_p("Reference")) if manifest is not None else [])
    }
    encoded = {
        _get(a, _p("ContentId")): a for a in root.iterfind(_p("AttachmentEncoded", "Attachment"))
    }
    if not references and not encoded:
        raise refuse(
            "no-attachment",
            "Gói tin không có tệp văn bản đính kèm.",
            "The package carries no file.",
        )
    absent = [cid for cid in references if cid not in encoded]
    if absent:
        raise refuse(
            "missing-element",
            f"Thiếu tệp đính kèm được khai báo trong danh mục: {', '.join(absent)}.",
            f"Files listed in the manifest are missing: {', '.join(absent)}.",
        )
    files: list[Attachment] = []
    for cid, el in encoded.items():
        ref = references.get(cid)
        name = _get(el, _p("AttachmentName")) or _get(ref, _p("AttachmentName")) or cid
        content_type = (
            _get(el, _p("ContentType"))
            or _get(ref, _p("ContentType"))
            or "application/octet-stream"
        ).lower()
        description = _get(ref, _p("Description")) or _get(el, _p("Description"))
        raw = _find(el, _p("ContentTransferEncoded"))
        text = raw.text if raw is not None and raw.text else ""
        if len(text) * 3 // 4 > limits.max_attachment + 3:
            raise refuse(*_too_large(name, limits))
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            try:  # line breaks and spaces inside base64 are common
                data = base64.b64decode("".join(text.split()), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise refuse(
                    "bad-attachment",
                    f"Tệp {name} không giải mã được (base64 hỏng).",
                    f"File {name} cannot be decoded (broken base64).",
                ) from exc
        if not data:
            raise refuse("bad-attachment", f"Tệp {name} rỗng.", f"File {name} is empty.")
        if len(data) > limits.max_attachment:
            raise refuse(*_too_large(name, limits))
        if content_type in {"application/zip", "application/x-zip-compressed"} or (
            data[:4] == b"PK\x03\x04" and not name.lower().endswith((".docx", ".xlsx", ".pptx"))
        ):
            files.extend(_unzip(cid, name, data, limits, refuse))
        else:
            files.append(Attachment(cid, name, content_type, data, description))
        if len(files) > limits.max_files:
            raise refuse(
                "too-many-files",
                f"Gói tin có quá {limits.max_files} tệp.",
                f"The package has more than {limits.max_files} files.",
            )
    return files


def _too_large(name: str, limits: Limits) -> tuple[str, str, str]:
    mb = limits.max_attachment // (1024 * 1024)
    return (
        "attachment-too-large",
        f"Tệp {name} vượt quá giới hạn {mb} MB.",
        f"File {name} is larger than the limit of {mb} MB.",
    )


def _unzip(cid: str, name: str, data: bytes, limits: Limits, refuse) -> list[Attachment]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, ValueError) as exc:
        raise refuse(
            "bad-attachment",
            f"Tệp nén {name} bị hỏng.",
            f"The zipped file {name} is broken.",
        ) from exc
    if len(members) > limits.max_files:
        raise refuse(
            "too-many-files",
            f"Tệp nén {name} chứa quá {limits.max_files} tệp.",
            f"The zipped file {name} holds more than {limits.max_files} files.",
        )
    out = []
    for n, member in enumerate(members):
        if member.file_size > limits.max_attachment:
            raise refuse(*_too_large(member.filename, limits))
        if member.compress_size and member.file_size / member.compress_size > limits.max_ratio:
            raise refuse(
                "zip-bomb",
                f"Tệp nén {name} có tỷ lệ nén bất thường (nghi ngờ bom nén).",
                f"The zipped file {name} has an abnormal compression ratio (a zip bomb).",
            )
        try:
            with archive.open(member) as fh:
                content = fh.read(limits.max_attachment + 1)
        except (zipfile.BadZipFile, RuntimeError, OSError, EOFError) as exc:
            raise refuse(
                "bad-attachment",
                f"Tệp {member.filename} trong {name} không đọc được.",
                f"File {member.filename} inside {name} cannot be read.",
            ) from exc
        if len(content) > limits.max_attachment:
            raise refuse(*_too_large(member.filename, limits))
        member_name = member.filename.replace("\\", "/").rsplit("/", 1)[-1] or f"tep-{n + 1}"
        out.append(
            Attachment(
                f"{cid}#{n + 1}" if len(members) > 1 else cid,
                member_name,
                content_type_of(member_name, content),
                content,
                description=name,
            )
        )
    return out


def content_type_of(name: str, data: bytes) -> str:
    if data[:5] == b"%PDF-":
        return "application/pdf"
    lowered = name.lower()
    for suffix, kind in (
        (".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (".doc", "application/msword"),
        (".xls", "application/vnd.ms-excel"),
        (".xml", "application/xml"),
        (".edxml", "application/xml"),
    ):
        if lowered.endswith(suffix):
            return kind
    return "application/octet-stream"


def zip_files(files: Iterable[tuple[str, bytes]]) -> bytes:
    """A zip of ``(name, data)`` pairs, as some senders ship their attachments."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            archive.writestr(name, data)
    return out.getvalue()
