"""What arrives over the axis from a sender the tests drive by hand (Bộ Nội vụ, G09):
zipped attachments are accepted; malformed XML, missing elements, an external entity,
billions of laughs, an oversized attachment, a PDF whose signature is broken are each
refused with a clear reason — status 02 back when the package says who sent it — and
kept as they came; what was received before is untouched. A wrong HMAC never gets in."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from backend.exchange import edxml
from backend.exchange.transport import TransportError, VxpTransport
from signing import pades
from signing.appearance import Box
from signing.pades import Level, SignatureField
from signing.samples import decision
from tests.exchange.conftest import A_CODE, SECRETS, TESTER, queue

DOC_ID = "000.00.00.G09,2026/11/20,125/BNV-VP"


def sign_pdf(pki_env, subject: str = "Công văn về việc tuyển dụng công chức năm 2027") -> bytes:
    pdf = decision("Lê Thị Hồng Hạnh", subject=subject)
    out, _ = pades.sign(
        pdf,
        pki_env.credential("phochutich1"),
        pki_env.memory,
        SignatureField("Sig1", Box(1, 360, 300, 560, 380)),
        level=Level.B_B,
        trust=pki_env.trust(tsa=False),
        signing_time=datetime.now(UTC),
    )
    return out


def package(attachments: list[edxml.Attachment], **over) -> bytes:
    fields = dict(
        sender=edxml.Organ(
            organ_id=TESTER, organ_name="Bộ Nội vụ", organization_in_charge="Bộ Nội vụ"
        ),
        recipients=[edxml.Organ(organ_id=A_CODE, organ_name="UBND tỉnh Nghệ An")],
        document_id=DOC_ID,
        code_number="125",
        code_notation="BNV-VP",
        promulgation_date=date(2026, 11, 20),
        subject="Về việc tuyển dụng công chức năm 2027",
        type_name="Công văn",
        priority=2,
        business=edxml.Business(doc_type=0, reason="Văn bản điện tử mới"),
        attachments=attachments,
    )
    fields.update(over)
    return edxml.build_edoc(edxml.Edoc(**fields))


@pytest.fixture
def tester(axis) -> VxpTransport:
    return VxpTransport(axis.url, "tester", SECRETS["tester"])


def send(tester: VxpTransport, data: bytes) -> str:
    return tester.send(data, message_type="edoc", from_code=TESTER, to_codes=[A_CODE])


def statuses_back(tester: VxpTransport) -> list[edxml.Status]:
    out = []
    for ref in tester.received("status"):
        out.append(edxml.parse(tester.fetch(ref.doc_id)))
        tester.acknowledge(ref.doc_id, "done")
    return out


def test_zipped_attachments_arrive_unpacked_and_checked(installation_a, pki_env, tester):
    a = installation_a
    pdf = sign_pdf(pki_env)
    zipped = edxml.zip_files([("125-BNV-VP.pdf", pdf), ("danh-sach.xlsx", b"PK\x03\x04xlsx")])
    send(tester, package([edxml.Attachment("cid:1", "van-ban.zip", "application/zip", zipped)]))
    counts = a.poll()
    assert counts["accepted"] == 1
    [item] = queue(a, a["clerk"])
    assert [(f["filename"], f["kind"]) for f in item["files"]] == [
        ("125-BNV-VP.pdf", "main"),
        ("danh-sach.xlsx", "attachment"),
    ]
    assert item["signatures_ok"] is True
    assert item["urgency"] == "thuong_khan"
    assert item["number_symbol"] == "125/BNV-VP"
    a.run_worker()
    [status] = statuses_back(tester)
    assert status.code == "01" and status.response_for.document_id == DOC_ID
    assert status.sender.organ_id == A_CODE


def refused_on_arrival(a, tester, data: bytes) -> tuple[dict, list[edxml.Status]]:
    before = queue(a, a["clerk"])
    send(tester, data)
    counts = a.poll()
    assert counts["rejected"] == 1, counts
    assert queue(a, a["clerk"]) == before  # the queue is untouched
    rejected = queue(a, a["clerk"], "rejected")[0]
    # nothing lost: the package is kept as it came
    raw = a.client.get(
        f"/api/exchange/received/{rejected['id']}/package", headers=a["clerk"].headers
    )
    assert raw.status_code == 200 and raw.data == data
    a.run_worker()
    return rejected, statuses_back(tester)


@pytest.fixture
def earlier(installation_a, pki_env, tester) -> dict:
    """A good document received first: a bad one must not disturb it."""
    send(
        tester,
        package(
            [edxml.Attachment("cid:1", "a.pdf", "application/pdf", sign_pdf(pki_env))],
            document_id="000.00.00.G09,2026/11/19,120/BNV-VP",
            code_number="120",
        ),
    )
    installation_a.poll()
    installation_a.run_worker()
    statuses_back(tester)
    [item] = queue(installation_a, installation_a["clerk"])
    return item


def test_malformed_xml_is_kept_and_refused(installation_a, tester, earlier, pki_env):
    good = package([edxml.Attachment("cid:1", "a.pdf", "application/pdf", sign_pdf(pki_env))])
    rejected, back = refused_on_arrival(installation_a, tester, good[: len(good) // 2])
    assert rejected["reason"].startswith("Gói tin không phải XML hợp lệ")
    # nobody can be told: half a package names no trustworthy sender
    assert back == []
    assert queue(installation_a, installation_a["clerk"]) == [earlier]


def test_missing_element_is_refused_with_02_to_the_sender(installation_a, tester, earlier, pki_env):
    data = package(
        [edxml.Attachment("cid:1", "a.pdf", "application/pdf", sign_pdf(pki_env))]
    ).decode()
    start, end = data.index("<edXML:Subject>"), data.index("</edXML:Subject>") + 16
    rejected, back = refused_on_arrival(
        installation_a, tester, (data[:start] + data[end:]).encode()
    )
    assert "Subject" in rejected["reason"]
    [status] = back
    assert status.code == "02"
    assert status.response_for.document_id == DOC_ID
    assert "Subject" in status.description


def test_external_entity_is_refused_and_nothing_is_read(installation_a, tester, earlier, pki_env):
    body = package([edxml.Attachment("cid:1", "a.pdf", "application/pdf", sign_pdf(pki_env))])
    body = body.decode().split("\n", 1)[1].replace("<edXML:Subject>", "<edXML:Subject>&xxe;", 1)
    xxe = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n' + body
    ).encode()
    rejected, back = refused_on_arrival(installation_a, tester, xxe)
    assert rejected["reason"] == "Gói tin chứa khai báo DTD/thực thể, không được chấp nhận."
    assert "root:" not in str(rejected)
    assert back == []  # a package with a DTD is not read at all, so not answered


def test_billion_laughs_is_refused(installation_a, tester, earlier, pki_env):
    entities = '<!ENTITY a "ha">' + "".join(
        f'<!ENTITY a{i} "{("&a" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    body = package([edxml.Attachment("cid:1", "a.pdf", "application/pdf", sign_pdf(pki_env))])
    body = body.decode().split("\n", 1)[1].replace("<edXML:Subject>", "<edXML:Subject>&a9;", 1)
    bomb = f'<?xml version="1.0"?>\n<!DOCTYPE edXML [{entities}]>\n{body}'.encode()
    rejected, _ = refused_on_arrival(installation_a, tester, bomb)
    assert rejected["reason"].startswith("Gói tin chứa khai báo DTD")


def test_oversized_attachment_is_refused(installation_a, tester, earlier, app, monkeypatch):
    monkeypatch.setattr(app.extensions["settings"], "max_upload_mb", 1)
    big = b"%PDF-1.7\n" + b"0" * (1024 * 1024 + 10)
    rejected, back = refused_on_arrival(
        installation_a,
        tester,
        package([edxml.Attachment("cid:1", "lon.pdf", "application/pdf", big)]),
    )
    assert rejected["reason"] == "Tệp lon.pdf vượt quá giới hạn 1 MB."
    [status] = back
    assert status.code == "02" and "vượt quá giới hạn 1 MB" in status.description


def test_a_pdf_whose_signature_is_broken_is_refused(installation_a, tester, earlier, pki_env):
    pdf = sign_pdf(pki_env)
    assert b"595" in pdf
    tampered = pdf.replace(b"595", b"596", 1)  # one byte inside the signed range
    rejected, back = refused_on_arrival(
        installation_a,
        tester,
        package([edxml.Attachment("cid:1", "125.pdf", "application/pdf", tampered)]),
    )
    assert rejected["reason"].startswith("Chữ ký số trên tệp 125.pdf không hợp lệ")
    [status] = back
    assert status.code == "02" and "không hợp lệ" in status.description


def test_a_package_without_a_pdf_is_refused(installation_a, tester, earlier):
    rejected, back = refused_on_arrival(
        installation_a,
        tester,
        package(
            [edxml.Attachment("cid:1", "ghi-chu.docx", "application/msword", b"PK\x03\x04doc")]
        ),
    )
    assert rejected["reason"].startswith("Gói tin không có văn bản PDF")
    assert [s.code for s in back] == ["02"]


def test_a_wrong_hmac_never_gets_in(installation_a, axis, pki_env, app, monkeypatch):
    forger = VxpTransport(axis.url, "tester", "không-phải-bí-mật-của-bộ-nội-vụ")
    with pytest.raises(TransportError) as refused:
        send(
            forger,
            package([edxml.Attachment("cid:1", "a.pdf", "application/pdf", sign_pdf(pki_env))]),
        )
    assert not refused.value.retryable
    assert "authentication failed" in str(refused.value)
    assert axis.axis.count() == 0
    # our own side with a wrong secret: nothing is fetched, nothing breaks, nothing is lost
    honest = VxpTransport(axis.url, "tester", SECRETS["tester"])
    send(
        honest, package([edxml.Attachment("cid:1", "a.pdf", "application/pdf", sign_pdf(pki_env))])
    )
    monkeypatch.setattr(app.extensions["settings"], "exchange_vxp_secret", "sai-bí-mật")
    app.extensions.pop("exchange_transport", None)
    assert installation_a.poll()["fetched"] == 0
    assert axis.axis.count("initial") == 1
    monkeypatch.setattr(app.extensions["settings"], "exchange_vxp_secret", SECRETS["inst-a"])
    app.extensions.pop("exchange_transport", None)
    assert installation_a.poll()["accepted"] == 1


def test_the_same_package_twice_is_one_document_and_a_different_one_is_flagged(
    installation_a, tester, pki_env
):
    a = installation_a
    pdf = sign_pdf(pki_env)
    data = package([edxml.Attachment("cid:1", "a.pdf", "application/pdf", pdf)])
    send(tester, data)
    send(tester, data)  # a sender's retry
    a.poll()
    assert len(queue(a, a["clerk"])) == 1
    # same number and year, other content: a duplicate the clerk must decide on
    other = package(
        [edxml.Attachment("cid:1", "b.pdf", "application/pdf", sign_pdf(pki_env, "Bản khác"))],
        document_id="000.00.00.G09,2026/11/21,125/BNV-VP",
    )
    send(tester, other)
    a.poll()
    first, second = sorted(queue(a, a["clerk"]), key=lambda i: i["id"])
    assert first["duplicate_reasons"] == []
    assert second["duplicate_of_id"] == first["id"]
    assert second["duplicate_reasons"] == [f"same-number-symbol:{first['id']}"]
