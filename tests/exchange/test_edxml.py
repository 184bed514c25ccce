"""edXML (QCVN 102:2016): every package of the VXP SDK's samples read field for field; a
package we build read back field for field, in the element order of STANDARDS.md; bad
packages refused with a reason, and nothing in them expanded or fetched."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import asdict, replace
from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import etree

from backend.exchange import edxml
from backend.exchange.edxml import BusinessType, PackageError

# the VXP SDK's own packages, as published (edoc_new.edxml keeps its stray "1212")
SAMPLES = Path(__file__).resolve().parent / "samples"

VPCP = edxml.Organ(
    organ_id="000.00.00.G22",
    organization_in_charge="Văn phòng Chính phủ",
    organ_name="Văn phòng Chính phủ",
    organ_add="Số 1 Hoàng Hoa Thám, Quận Ba Đình, Hà Nội",
    email="vpcp@gov.vn",
    telephone="8043100",
    fax="048989898789",
    website="vpcp.vn",
)
NGHE_AN = edxml.Organ(
    organ_id="000.00.00.H41",
    organization_in_charge="UBND Tỉnh Nghệ An",
    organ_name="UBND Tỉnh Nghệ An",
    organ_add="Số 03, đường Trường Thi, Thành phố Vinh, Tỉnh Nghệ An, Việt Nam",
    email="nghean@gov.vn",
    telephone="0383 840418",
    fax="0383 843049",
    website="www.nghean.vn",
)
CAO_BANG = edxml.Organ(
    organ_id="000.00.00.H14",
    organization_in_charge="UBND Tỉnh Cao Bằng",
    organ_name="UBND Tỉnh Cao Bằng",
    organ_add="Số 011 - Đường Hoàng Đình Giong - Thành Phố Cao Bằng, Tỉnh Cao Bằng",
    email="caobang@gov.vn",
    telephone="02063852139",
    fax="0202183239",
    website="www.caobang.gov.vn",
)
HAI_PHONG = edxml.Organ(
    organ_id="000.00.00.G17",
    organization_in_charge="Sở Thông tin truyền thông Hải Phòng",
    organ_name="Sở Thông tin truyền thông Hải Phòng",
    organ_add="số 62 - Võ Thị Sáu - Ngô Quyền - Hải Phòng",
    email="bxd@moc.gov.vn",
    telephone="(84-4) 3821 5137",
    fax="(023)37366617",
    website="www.haiphong.gov.vn",
)
SAMPLE_STAFF = edxml.StaffInfo(
    department="Văn thư văn phòng",
    staff="Nguyễn Thị Ngọc Trâm",
    email="vanthuvanphong@gov.vn",
    mobile="84912000001",
)
# the SDK's samples zip a nested package (an .edxml file) under a .doc name
ZIPPED_SHA = "8385739ec4a4ed36d71eabcaead629641ffc5ffff3d487ff5c34d2f821c9f36e"
SUBJECT = "V/v kết nối, liên thông phần mềm quản lý văn bản"


def sample(name: str) -> bytes:
    return (SAMPLES / f"{name}.edxml").read_bytes()


def common(**over) -> dict:
    """The fields the update, replacement and revocation samples share."""
    fields = {
        "sender": VPCP,
        "recipients": [NGHE_AN, CAO_BANG, HAI_PHONG],
        "document_id": "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT",
        "code_number": "7816",
        "code_notation": "VPCP-TTĐT",
        "promulgation_date": date(2018, 9, 28),
        "subject": SUBJECT,
        "place": "Hà Nội",
        "type": "1",
        "type_detail": "0",
        "type_name": "Công văn",
        "content": SUBJECT,
        "signer_competence": "TL. BO TRUONG",
        "signer_position": "Cuc truong cuc ung dung cong nghe thong tin",
        "signer_full_name": "Nguyen Thanh Phuc",
        "due_date": date(2018, 9, 28),
        "priority": 0,
        "sphere": "Liên thông văn bản quốc gia",
        "typer_notation": "TVC",
        "promulgation_amount": 2,
        "page_amount": 22,
        "direction": "false",
        "appendixes": ["Công văn về việc kết nối, liên thông phần mềm quản lý văn bản"],
        "response_for": None,
        "steering_type": "1",
        "to_places": ["Cac bo va co quan ngang bo", "Uy ban nhan dan cac tinh, TP"],
        "traces": [edxml.TraceHeader("000.00.00.G22", datetime(2018, 9, 28, 0, 0, 0))],
        "has_signature": True,
    }
    fields.update(over)
    return fields


def plain(edoc: edxml.Edoc) -> dict:
    """Every field, files as (id, name, type, description, sha256, size)."""
    out = asdict(replace(edoc, attachments=[]))
    out["attachments"] = [
        (
            a.content_id,
            a.name,
            a.content_type,
            a.description,
            hashlib.sha256(a.data).hexdigest(),
            len(a.data),
        )
        for a in edoc.attachments
    ]
    return out


def expected(fields: dict, business: edxml.Business, attachment_name: str) -> dict:
    doc = edxml.Edoc(**fields, business=business)
    out = plain(doc)
    out["attachments"] = [
        (
            "cid:209",
            attachment_name,
            "application/xml",
            "1896_QD-TTg_m_294779.doc",
            ZIPPED_SHA,
            388347,
        )
    ]
    return out


def test_new_document_sample_field_for_field():
    # the SDK's file starts with a stray "1212" (an HTTP chunk size) before the XML
    assert sample("edoc_new").startswith(b"1212<?xml")
    edoc = edxml.parse(sample("edoc_new"))
    fields = common(
        sender=edxml.Organ(
            organ_id="002.00.20.H13",
            organization_in_charge="UBND xã Hòa Tiến - UBND huyện Hòa Vang - Thành phố Đà Nẵng",
            organ_name="UBND xã Hòa Tiến - UBND huyện Hòa Vang - Thành phố Đà Nẵng",
            organ_add="Số 1 Hoàng Hoa Thám, Quận Ba Đình, Hà Nội",
            email="vpcp@gov.vn",
            telephone="8043100",
            fax="048989898789",
            website="vpcp.vn",
        ),
        recipients=[
            edxml.Organ(
                organ_id="28.22.H17",
                organization_in_charge="UBND xã Hòa Sơn - UBND huyện Hòa Vang - Thành phố Đà Nẵng",
                organ_name="UBND xã Hòa Sơn - UBND huyện Hòa Vang - Thành phố Đà Nẵng",
                organ_add="số 62 - Võ Thị Sáu - Ngô Quyền - Hải Phòng",
                email="bxd@moc.gov.vn",
                telephone="(84-4) 3821 5137",
                fax="(023)37366617",
                website="www.haiphong.gov.vn",
            )
        ],
        code_number="74fass22",
        promulgation_date=date(2019, 1, 16),
    )
    business = edxml.Business(
        doc_type=BusinessType.NEW,
        reason="Văn bản điện tử mới",
        paper="0",
        document_id="000.00.00.G22,2014/02/30,7806/VPCP-TTĐT",
        staff=SAMPLE_STAFF,
    )
    assert plain(edoc) == expected(fields, business, "32da2890-1a55-4ccd-9ac9-cd0d98559e67.edxml")
    assert edoc.number_symbol == "74fass22/VPCP-TTĐT"


def test_update_sample_field_for_field():
    edoc = edxml.parse(sample("edoc_update"))
    business = edxml.Business(
        doc_type=BusinessType.UPDATE,
        reason="Cập nhật văn bản điện tử",
        paper="0",
        document_id="000.00.00.G22,2014/02/30,7806/VPCP-TTĐT",
        staff=SAMPLE_STAFF,
        document_info="1",
        document_receiver="1",
        receivers=[
            edxml.Receiver("000.00.00.H41", "0"),
            edxml.Receiver("000.00.00.H14", "1"),
        ],
    )
    assert plain(edoc) == expected(common(), business, "3ed3cc90-1dcb-4382-9725-1de9cd899790.edxml")


def test_replacement_sample_field_for_field():
    edoc = edxml.parse(sample("edoc_replacement"))
    replaced = edxml.ReplacementInfo(
        "000.00.00.G22,2014/01/30,7806/VPCP-TTĐT", ["000.00.00.H41", "000.00.00.H14"]
    )
    business = edxml.Business(
        doc_type=BusinessType.REPLACE,
        reason="Văn bản thay thế",
        paper="0",
        staff=SAMPLE_STAFF,
        replacements=[replaced, replaced],
    )
    assert plain(edoc) == expected(common(), business, "30d190ec-60e3-41b6-bda7-50b17d98b35d.edxml")


def test_revocation_sample_field_for_field():
    edoc = edxml.parse(sample("edoc_revocation"))
    business = edxml.Business(
        doc_type=BusinessType.REVOKE,
        reason="Thu hồi văn bản điện tử",
        paper="0",
        staff=SAMPLE_STAFF,
    )
    fields = common(
        response_for=edxml.ResponseFor(
            organ_id="000.00.00.H14",
            code="267/VPCP-TTĐT",
            promulgation_date=date(2018, 9, 28),
            document_id="000.00.04.G14,2012/08/06,267/VPCP-TTĐT",
        )
    )
    assert plain(edoc) == expected(fields, business, "a3661564-bcbb-4406-a6a9-ceddbc8f4e17.edxml")


STATUS_SAMPLES = {
    "status_inbox_01": (
        "01",
        "Văn thư - Phòng Văn thư - Lưu trữ: Đã đến - "
        "Phần mềm QLVB đã nhận nhưng văn thư chưa xử lý",
    ),
    "status_rejection_02": (
        "02",
        "Văn thư - Phòng Văn thư - Lưu trữ: Từ chối không tiếp nhận văn bản điện tử",
    ),
    "status_acceptance_03": (
        "03",
        "Văn thư cơ - Phòng Văn thư - Lưu trữ: "
        "Tiếp nhận văn bản điện tử, vào sổ văn bản đến của đơn vị",
    ),
    "status_assignment_04": ("04", "Lãnh đạo: Phân công xử lý"),
    "status_processing_05": ("05", "Đang xử lý văn bản đến"),
    "status_finish_06": ("06", "Văn thư: Ban hành văn bản đến, hoàn thành xử lý"),
    "status_change-acceptance_15": ("15", "Văn thư đồng ý yêu cầu cập nhật, lấy lại"),
    "status_change-rejection_16": ("16", "Văn thư từ chối yêu cầu cập nhật, lấy lại"),
}
STATUS_STAFF = edxml.StaffInfo(
    department="Phong hanh chinh",
    staff="Nguyen thi ngoc tram",
    email="ngoctram@nghean.vn",
    mobile="84912000001",
)
NGHE_AN_STATUS = replace(NGHE_AN, fax="0383 843049")
VPCP_STATUS = replace(VPCP, telephone="8043100", fax="04")
RESPONSE = dict(
    code="7816/VPCP-TTĐT",
    promulgation_date=date(2015, 9, 30),
    document_id="000.00.00.G22,2015/09/30,7816/VPCP-TTĐT",
)


@pytest.mark.parametrize("name", sorted(STATUS_SAMPLES))
def test_status_samples_field_for_field(name):
    code, description = STATUS_SAMPLES[name]
    status = edxml.parse(sample(name))
    assert asdict(status) == asdict(
        edxml.Status(
            sender=NGHE_AN_STATUS,
            response_for=edxml.ResponseFor(organ_id="000.00.00.G22", **RESPONSE),
            code=code,
            description=description,
            timestamp=datetime(2015, 9, 20, 11, 8, 36),
            staff=STATUS_STAFF,
        )
    )


def test_recall_request_sample_field_for_field():
    status = edxml.parse(sample("status_cancellation_13"))
    # the sender asks: ResponseFor names the organisation it asks (the addressee)
    assert asdict(status) == asdict(
        edxml.Status(
            sender=VPCP_STATUS,
            response_for=edxml.ResponseFor(organ_id="000.00.00.H41", **RESPONSE),
            code="13",
            description="Văn thư yêu cầu lấy lại văn bản điện tử kèm lý do",
            timestamp=datetime(2015, 9, 20, 11, 8, 36),
            staff=STATUS_STAFF,
        )
    )


def test_every_sample_is_covered():
    names = {p.stem for p in SAMPLES.glob("*.edxml")}
    covered = set(STATUS_SAMPLES) | {
        "status_cancellation_13",
        "edoc_new",
        "edoc_update",
        "edoc_replacement",
        "edoc_revocation",
    }
    assert names == covered


# -- what we build ---------------------------------------------------------------------------


def ours(**over) -> edxml.Edoc:
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
    fields = dict(
        sender=NGHE_AN,
        recipients=[VPCP],
        document_id="000.00.00.H41,2026/11/23,15/QĐ-UBND",
        code_number="15",
        code_notation="QĐ-UBND",
        promulgation_date=date(2026, 11, 23),
        subject='Quyết định về việc phê duyệt kế hoạch chuyển đổi số năm 2027 <&> "đặc biệt"',
        place="Nghệ An",
        type="1",
        type_detail="0",
        type_name="Quyết định",
        content="Quyết định về việc phê duyệt kế hoạch chuyển đổi số năm 2027",
        signer_competence="KT.",
        signer_position="Phó Chủ tịch",
        signer_full_name="Lê Thị Hồng Hạnh",
        due_date=date(2026, 12, 31),
        priority=3,
        sphere="Liên thông văn bản quốc gia",
        typer_notation="ĐVH",
        promulgation_amount=5,
        page_amount=3,
        direction="false",
        appendixes=["Phụ lục 1.pdf", "Bảng số liệu.xlsx"],
        response_for=edxml.ResponseFor(
            organ_id="000.00.00.G22",
            code="7816/VPCP-TTĐT",
            promulgation_date=date(2026, 11, 1),
            document_id="000.00.00.G22,2026/11/01,7816/VPCP-TTĐT",
        ),
        steering_type="0",
        to_places=["Văn phòng Chính phủ", "Lưu: VT, KT"],
        traces=[edxml.TraceHeader("000.00.00.H41", datetime(2026, 11, 23, 7, 5, 24))],
        business=edxml.Business(
            doc_type=BusinessType.REPLACE,
            reason="Văn bản thay thế",
            paper="0",
            staff=edxml.StaffInfo("Văn phòng", "Phan Thị Ngọc Ánh", "vanthu@nghean.gov.vn", ""),
            replacements=[
                edxml.ReplacementInfo("000.00.00.H41,2026/11/20,14/QĐ-UBND", ["000.00.00.G22"])
            ],
        ),
        attachments=[
            edxml.Attachment("cid:1", "15-QĐ-UBND.pdf", "application/pdf", pdf, "Văn bản chính"),
            edxml.Attachment("cid:2", "Phụ lục 1.pdf", "application/pdf", pdf[::-1], "Phụ lục"),
        ],
    )
    fields.update(over)
    return edxml.Edoc(**fields)


def test_a_package_we_build_reads_back_field_for_field():
    doc = ours()
    assert plain(edxml.parse(edxml.build_edoc(doc))) == plain(doc)


def test_an_update_reads_back_with_what_changed():
    doc = ours(
        business=edxml.Business(
            doc_type=BusinessType.UPDATE,
            reason="Cập nhật phụ lục",
            paper="0",
            staff=edxml.StaffInfo("Văn phòng", "Phan Thị Ngọc Ánh", "", ""),
            document_info="1",
            document_receiver="0",
        ),
        response_for=None,
    )
    assert plain(edxml.parse(edxml.build_edoc(doc))) == plain(doc)


def test_a_status_we_build_reads_back_field_for_field():
    status = edxml.Status(
        sender=NGHE_AN,
        response_for=edxml.ResponseFor(organ_id="000.00.00.G22", **RESPONSE),
        code="02",
        description="Từ chối: gửi nhầm cơ quan <không phải UBND tỉnh>",
        timestamp=datetime(2026, 11, 23, 7, 5, 24),
        staff=STATUS_STAFF,
    )
    assert asdict(edxml.parse(edxml.build_status(status))) == asdict(status)


def local_names(element: etree._Element) -> list[str]:
    return [etree.QName(child).localname for child in element]


def test_element_order_and_namespace_are_those_of_the_standard():
    root = etree.fromstring(edxml.build_edoc(ours()))
    ns = edxml.NS
    assert root.tag == f"{{{ns}}}edXML"
    assert local_names(root) == ["edXMLEnvelope", "AttachmentEncoded"]
    envelope = root[0]
    assert envelope.prefix == "edXML"
    assert local_names(envelope) == ["edXMLHeader", "edXMLBody"]
    header = envelope[0]
    assert local_names(header) == ["MessageHeader", "TraceHeaderList"]
    assert local_names(header[0]) == [
        "From",
        "To",
        "DocumentId",
        "Code",
        "PromulgationInfo",
        "DocumentType",
        "Subject",
        "Content",
        "SignerInfo",
        "DueDate",
        "OtherInfo",
        "ResponseFor",
        "SteeringType",
        "ToPlaces",
    ]
    organ_fields = [
        "OrganId",
        "OrganizationInCharge",
        "OrganName",
        "OrganAdd",
        "Email",
        "Telephone",
        "Fax",
        "Website",
    ]
    assert local_names(header[0][0]) == organ_fields
    assert local_names(header[0][1]) == organ_fields
    assert local_names(header[0].find(f"{{{ns}}}Code")) == ["CodeNumber", "CodeNotation"]
    assert local_names(header[0].find(f"{{{ns}}}PromulgationInfo")) == [
        "Place",
        "PromulgationDate",
    ]
    assert local_names(header[0].find(f"{{{ns}}}DocumentType")) == [
        "Type",
        "TypeDetail",
        "TypeName",
    ]
    assert local_names(header[0].find(f"{{{ns}}}SignerInfo")) == [
        "Competence",
        "Position",
        "FullName",
    ]
    assert local_names(header[0].find(f"{{{ns}}}OtherInfo")) == [
        "Priority",
        "SphereOfPromulgation",
        "TyperNotation",
        "PromulgationAmount",
        "PageAmount",
        "Direction",
        "Appendixes",
    ]
    assert local_names(header[0].find(f"{{{ns}}}ResponseFor")) == [
        "OrganId",
        "Code",
        "PromulgationDate",
        "DocumentId",
    ]
    traces = header[1]
    assert local_names(traces) == ["TraceHeader", "Bussiness"]
    assert local_names(traces[0]) == ["OrganId", "Timestamp"]
    assert local_names(traces[1]) == [
        "BussinessDocType",
        "BussinessDocReason",
        "Paper",
        "StaffInfo",
        "ReplacementInfoList",
    ]
    assert local_names(traces[1][3]) == ["Department", "Staff", "Email", "Mobile"]
    manifest = envelope[1][0]
    assert etree.QName(manifest).localname == "edXMLManifest" and manifest.get("version") == "1.0"
    assert local_names(manifest[0]) == ["ContentId", "ContentType", "Description", "AttachmentName"]
    attachment = root[1][0]
    assert local_names(attachment) == [
        "ContentId",
        "AttachmentName",
        "ContentType",
        "ContentTransferEncoded",
    ]
    # dates as the samples write them
    assert header[0].findtext(f"{{{ns}}}PromulgationInfo/{{{ns}}}PromulgationDate") == "2026/11/23"
    assert traces[0].findtext(f"{{{ns}}}Timestamp") == "2026/11/23 07:05:24"
    assert header[0].findtext(f"{{{ns}}}DocumentId") == "000.00.00.H41,2026/11/23,15/QĐ-UBND"


def test_status_packet_has_no_body_and_the_sample_shape():
    status = edxml.Status(
        sender=NGHE_AN,
        response_for=edxml.ResponseFor(organ_id="000.00.00.G22", **RESPONSE),
        code="03",
        description="Đã vào sổ",
        timestamp=datetime(2026, 11, 23, 7, 5, 24),
        staff=STATUS_STAFF,
    )
    root = etree.fromstring(edxml.build_status(status))
    envelope = root[0]
    assert local_names(root) == ["edXMLEnvelope"]
    assert local_names(envelope) == ["edXMLHeader"]
    assert local_names(envelope[0][0]) == [
        "From",
        "ResponseFor",
        "StaffInfo",
        "StatusCode",
        "Description",
        "Timestamp",
    ]


def test_zipped_and_plain_attachments_are_both_read():
    pdf = ours().attachments[0].data
    zipped = edxml.zip_files([("van-ban/15-QĐ-UBND.pdf", pdf), ("phu-luc.docx", b"PK\x03\x04docx")])
    doc = ours(
        attachments=[
            edxml.Attachment("cid:z", "goi.zip", "application/zip", zipped),
            edxml.Attachment("cid:p", "plain.pdf", "application/pdf", pdf),
        ]
    )
    files = edxml.parse(edxml.build_edoc(doc)).attachments
    assert [(f.name, f.content_type, f.data) for f in files] == [
        ("15-QĐ-UBND.pdf", "application/pdf", pdf),
        (
            "phu-luc.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            b"PK\x03\x04docx",
        ),
        ("plain.pdf", "application/pdf", pdf),
    ]


def test_base64_broken_into_lines_is_read():
    doc = ours()
    package = edxml.build_edoc(doc)
    encoded = base64.b64encode(doc.attachments[0].data)
    wrapped = b"\r\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))
    package = package.replace(encoded, wrapped, 1)
    assert edxml.parse(package).attachments[0].data == doc.attachments[0].data


# -- refusals -------------------------------------------------------------------------------


def refused(data: bytes, **limits) -> PackageError:
    with pytest.raises(PackageError) as info:
        edxml.parse(data, edxml.Limits(**limits) if limits else None)
    return info.value


def test_malformed_xml_is_refused_with_the_reason():
    package = edxml.build_edoc(ours())
    error = refused(package[: len(package) // 2])
    assert error.code == "malformed-xml"
    assert error.reason_vi.startswith("Gói tin không phải XML hợp lệ")
    assert error.sender == ""  # nothing can be trusted from half a package


@pytest.mark.parametrize(
    ("element", "named"),
    [
        ("Subject", "Subject"),
        ("CodeNumber", "Code/CodeNumber"),
        ("PromulgationDate", "PromulgationInfo/PromulgationDate"),
    ],
)
def test_missing_required_element_is_refused_naming_it_and_the_sender(element, named):
    package = edxml.build_edoc(ours()).decode()
    start = package.index(f"<edXML:{element}>")
    end = package.index(f"</edXML:{element}>") + len(f"</edXML:{element}>")
    error = refused((package[:start] + package[end:]).encode())
    assert error.code == "missing-element"
    assert named in error.reason_en and named in error.reason_vi
    # the sender is still known, so the refusal (02) can go back
    assert error.sender == "000.00.00.H41"
    assert error.document_id == "000.00.00.H41,2026/11/23,15/QĐ-UBND"


def test_missing_attachment_listed_in_the_manifest_is_refused():
    package = edxml.build_edoc(ours()).decode()
    start = package.index("<Attachment><ContentId>cid:2")
    end = package.index("</Attachment>", start) + len("</Attachment>")
    error = refused((package[:start] + package[end:]).encode())
    assert error.code == "missing-element" and "cid:2" in error.reason_en


def test_external_entity_is_never_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("mật khẩu quản trị")
    package = edxml.build_edoc(ours()).decode()
    body = package.split("\n", 1)[1].replace("<edXML:Subject>", "<edXML:Subject>&xxe;", 1)
    xxe = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file://{secret}">]>\n' + body
    ).encode()
    error = refused(xxe)
    assert error.code == "dtd-forbidden"
    assert "mật khẩu" not in error.reason_vi + error.reason_en


def test_a_doctype_deep_in_the_file_is_refused_too(tmp_path):
    # past the quick check of the first 4 KB: the parser's own answer decides
    filler = "<!--" + "x" * 5000 + "-->\n"
    package = edxml.build_edoc(ours()).decode().split("\n", 1)[1]
    xxe = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{filler}'
        '<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        + package.replace("<edXML:Subject>", "<edXML:Subject>&xxe;", 1)
    ).encode()
    error = refused(xxe)
    assert error.code == "dtd-forbidden"


def test_billion_laughs_is_refused_without_expanding():
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    package = edxml.build_edoc(ours()).decode().split("\n", 1)[1]
    bomb = (
        f'<?xml version="1.0"?>\n<!DOCTYPE edXML [{entities}]>\n'
        + package.replace("<edXML:Subject>", "<edXML:Subject>&lol9;", 1)
    ).encode()
    started = datetime.now()
    error = refused(bomb)
    assert error.code == "dtd-forbidden"
    assert (datetime.now() - started).total_seconds() < 2


def test_oversized_attachment_is_refused_naming_the_file():
    error = refused(edxml.build_edoc(ours()), max_attachment=5000)
    assert error.code == "attachment-too-large"
    assert "15-QĐ-UBND.pdf" in error.reason_vi
    assert error.sender == "000.00.00.H41"


def test_a_zip_bomb_is_refused():
    bomb = edxml.zip_files([("bom.pdf", b"\0" * 5_000_000)])
    doc = ours(attachments=[edxml.Attachment("cid:z", "goi.zip", "application/zip", bomb)])
    assert refused(edxml.build_edoc(doc)).code == "zip-bomb"


def test_broken_base64_is_refused():
    package = edxml.build_edoc(ours()).decode()
    start = package.index("<ContentTransferEncoded>") + len("<ContentTransferEncoded>")
    broken = package[:start] + "!!!không phải base64!!!" + package[start:]
    assert refused(broken.encode()).code == "bad-attachment"


def test_a_package_larger_than_the_limit_is_refused_before_parsing():
    assert refused(edxml.build_edoc(ours()), max_package=1000).code == "package-too-large"


def test_unknown_status_code_is_refused():
    status = edxml.build_status(
        edxml.Status(
            sender=NGHE_AN,
            response_for=edxml.ResponseFor(organ_id="000.00.00.G22", **RESPONSE),
            code="99",
        )
    )
    error = refused(status)
    assert error.code == "unknown-status" and error.sender == "000.00.00.H41"


def test_not_edxml_is_refused():
    assert refused(b"<html><body>Bad gateway</body></html>").code == "not-edxml"


def test_zip_member_with_a_path_keeps_only_its_name():
    pdf = ours().attachments[0].data
    zipped = edxml.zip_files([("../../etc/cron.d/x.pdf", pdf)])
    doc = ours(attachments=[edxml.Attachment("cid:z", "goi.zip", "application/zip", zipped)])
    [only] = edxml.parse(edxml.build_edoc(doc)).attachments
    assert only.name == "x.pdf" and only.data == pdf
