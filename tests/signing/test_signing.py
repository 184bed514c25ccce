"""Signing with each provider at each level, validating against the test root; revoked
certificates; tampering; leader + seal after issuing; placement; Vietnamese appearance;
a TSA outage lowering the level without losing the signature."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pypdfium2 as pdfium
import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from signing import appearance, pades, placement
from signing.appearance import Box
from signing.errors import CertificateRevoked, ImageRejected, PlacementError
from signing.pades import Level, SignatureField, Trust
from signing.providers.pkcs11 import Pkcs11Provider
from signing.samples import decision
from signing.validation import validate

NOW = datetime.now(UTC)
LEADER = "Lê Thị Hồng Hạnh"


def leader_field(pdf: bytes, name: str = LEADER) -> SignatureField:
    box = placement.signature_box(pdf, name)
    return SignatureField(
        "ChuKyLanhDao", box, appearance.image_style(appearance.demo_signature_png(name))
    )


@pytest.mark.parametrize("level", list(Level))
def test_each_level_is_reached_and_reported(pki_env, level):
    pdf = decision(LEADER)
    signed, outcome = pades.sign(
        pdf,
        pki_env.credential("phochutich1"),
        pki_env.memory,
        leader_field(pdf),
        level=level,
        trust=pki_env.trust(),
        signing_time=NOW,
    )
    assert outcome.achieved == level and outcome.warnings == []
    report = validate(signed, [pki_env.pki.trust_root()])
    [signature] = [s for s in report.signatures if s.kind == "signature"]
    assert signature.level == level.value
    assert signature.bottom_line and signature.trusted and not signature.revoked
    assert signature.signer == LEADER and signature.organisation == "Ủy ban nhân dân tỉnh Nghệ An"
    assert report.ok and report.verdict_vi.startswith("Hợp lệ")
    if level != Level.B_B:
        assert signature.timestamp["tsa"] == "Trình Ký Dev TSA"


@pytest.mark.parametrize("label", ["phochutich1", "ec-signer"])
def test_hsm_keys_sign_rsa_and_ec(pki_env, softhsm, label):
    provider = Pkcs11Provider(softhsm["module"], softhsm["token"], softhsm["pin"])
    pdf = decision(LEADER)
    signed, outcome = pades.sign(
        pdf,
        pki_env.credential(label),
        provider,
        SignatureField("Sig"),
        level=Level.B_T,
        trust=pki_env.trust(),
        signing_time=NOW,
    )
    assert outcome.achieved == Level.B_T
    report = validate(signed, [pki_env.pki.trust_root()])
    assert report.ok and report.signatures[0].bottom_line


def test_two_phase_state_survives_a_restart(pki_env):
    """prepare → (process restarts: only the state bytes are kept) → sign → finish."""
    import json

    pdf = decision(LEADER)
    credential = pki_env.credential("phochutich1")
    prepared = pades.prepare(pdf, credential, leader_field(pdf), level=Level.B_LT, signing_time=NOW)
    stored = bytes(prepared.state)  # e.g. a database column
    assert json.loads(stored)["level"] == "B-LT" and len(prepared.digest) == 32
    [value] = pki_env.memory.sign_digests(credential, [prepared.digest])
    signed, outcome = pades.finish(stored, prepared.pdf, value, pki_env.trust())
    assert outcome.achieved == Level.B_LT
    assert validate(signed, [pki_env.pki.trust_root()]).ok


def test_a_wrong_signature_value_is_refused_before_embedding(pki_env):
    pdf = decision(LEADER)
    prepared = pades.prepare(
        pdf,
        pki_env.credential("phochutich1"),
        SignatureField("Sig"),
        level=Level.B_B,
        signing_time=NOW,
    )
    [other] = pki_env.memory.sign_digests(pki_env.credential("phochutich1"), [b"\x00" * 32])
    from signing.errors import ProviderError

    with pytest.raises(ProviderError) as caught:
        pades.finish(prepared.state, prepared.pdf, other, pki_env.trust())
    assert caught.value.code == "provider-bad-signature"


def test_revoked_certificate_is_refused_and_detected(pki_env):
    credential = pki_env.credential("revoked")
    with pytest.raises(CertificateRevoked):
        pades.check_certificate(credential, pki_env.trust())
    assert pades.check_certificate(pki_env.credential("phochutich1"), pki_env.trust()) is None
    # a B-T signature made anyway validates as revoked
    pdf = decision(LEADER)
    signed, _ = pades.sign(
        pdf,
        credential,
        pki_env.memory,
        SignatureField("Sig"),
        level=Level.B_T,
        trust=pki_env.trust(),
        signing_time=NOW,
    )
    report = validate(signed, [pki_env.pki.trust_root()])
    assert not report.ok and report.signatures[0].revoked
    assert report.signatures[0].indication == "TOTAL_FAILED"
    assert report.signatures[0].sub_indication == "REVOKED"
    assert report.signatures[0].verdict_vi == "Chứng thư số của người ký đã bị thu hồi."


def test_tampering_is_flagged(pki_env):
    pdf = decision(LEADER)
    signed, _ = pades.sign(
        pdf,
        pki_env.credential("phochutich1"),
        pki_env.memory,
        leader_field(pdf),
        level=Level.B_T,
        trust=pki_env.trust(),
        signing_time=NOW,
    )
    # 1. bytes changed inside the signed range
    index = signed.index(b" 760 cm")  # where the first line of text is drawn
    tampered = signed[:index] + b" 761 cm" + signed[index + 7 :]
    report = validate(tampered, [pki_env.pki.trust_root()])
    assert not report.ok and not report.signatures[0].intact
    assert (report.signatures[0].indication, report.signatures[0].sub_indication) == (
        "TOTAL_FAILED",
        "HASH_FAILURE",
    )
    assert report.signatures[0].verdict_en == "Invalid: the signed content was altered."
    # 2. content changed by a later incremental update
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    from signing.samples import _add_text

    _add_text(writer, 0, 70, 700, "Nội dung chèn thêm sau khi ký")
    out = io.BytesIO()
    writer.write(out)
    report = validate(out.getvalue(), [pki_env.pki.trust_root()])
    [signature] = report.signatures
    assert signature.intact and not signature.bottom_line
    assert (signature.indication, signature.sub_indication) == ("TOTAL_FAILED", "FORMAT_FAILURE")
    assert signature.verdict_vi.startswith("Văn bản đã bị sửa đổi sau khi ký")


def test_leader_and_agency_seal_both_valid_after_issuing(pki_env):
    pdf = decision(LEADER)
    field = leader_field(pdf)
    signed, _ = pades.sign(
        pdf,
        pki_env.credential("phochutich1"),
        pki_env.memory,
        field,
        level=Level.B_LT,
        trust=pki_env.trust(),
        signing_time=NOW,
    )
    seal_png = appearance.demo_seal_png("Ủy ban nhân dân tỉnh Nghệ An")
    seal_field = SignatureField(
        "DauCoQuan", appearance.seal_box(field.box, seal_png), appearance.image_style(seal_png)
    )
    issued, outcome = pades.sign(
        signed,
        pki_env.credential("seal"),
        pki_env.memory,
        seal_field,
        level=Level.B_LTA,
        trust=pki_env.trust(),
        signing_time=NOW,
    )
    assert outcome.achieved == Level.B_LTA
    report = validate(issued, [pki_env.pki.trust_root()])
    people = [s for s in report.signatures if s.kind == "signature"]
    assert [s.signer for s in people] == [LEADER, "Ủy ban nhân dân tỉnh Nghệ An"]
    assert all(s.bottom_line for s in people), [s.verdict_en for s in people]
    assert report.ok
    # the seal overlaps the left third of the signature
    seal = seal_field.box
    assert seal.x1 < field.box.x1 < seal.x2 < field.box.x1 + field.box.width / 2


def test_issuing_writes_number_and_date_and_keeps_the_leader_signature(pki_env):
    pdf = decision(LEADER)
    field = leader_field(pdf)
    signed, _ = pades.sign(
        pdf,
        pki_env.credential("phochutich1"),
        pki_env.memory,
        field,
        level=Level.B_T,
        trust=pki_env.trust(),
        signing_time=NOW,
    )
    number_box, date_box = placement.issue_boxes(signed)
    assert number_box is not None and date_box is not None
    assert 795 < number_box.y1 < number_box.y2 < 842 and date_box.x1 > 330  # the header line
    stamps = [
        pades.Stamp("SoKyHieu", number_box, ["Số: 15/QĐ-UBND"]),
        pades.Stamp("NgayBanHanh", date_box, ["ngày 23 tháng 11 năm 2026"]),
    ]
    seal_png = appearance.demo_seal_png("Ủy ban nhân dân tỉnh Nghệ An")
    seal_field = SignatureField(
        "DauCoQuan", appearance.seal_box(field.box, seal_png), appearance.image_style(seal_png)
    )
    prepared = pades.prepare(
        signed,
        pki_env.credential("seal"),
        seal_field,
        level=Level.B_T,
        signing_time=NOW,
        stamps=stamps,
    )
    [value] = pki_env.memory.sign_digests(pki_env.credential("seal"), [prepared.digest])
    issued, _ = pades.finish(prepared.state, prepared.pdf, value, pki_env.trust())
    report = validate(issued, [pki_env.pki.trust_root()])
    people = [s for s in report.signatures if s.kind == "signature"]
    assert [s.bottom_line for s in people] == [True, True], [s.verdict_en for s in people]
    assert people[0].modification_level == "FORM_FILLING"  # the number and date, nothing else
    # the number is drawn over the blank, dark on white
    document = pdfium.PdfDocument(issued)
    document.init_forms()
    image = document[0].render(scale=2, may_draw_forms=True).to_pil().convert("RGB")
    crop = image.crop(
        (
            int(number_box.x1 * 2),
            int((842 - number_box.y2) * 2),
            int(number_box.x2 * 2),
            int((842 - number_box.y1) * 2),
        )
    )
    dark = [p for p in crop.get_flattened_data() if sum(p) < 200]
    assert len(dark) > 150


def test_placement_finds_the_name_on_any_page_and_line(pki_env):
    one = decision(LEADER)
    three = decision(LEADER, pages=3, name_y=150, title_gap=90)
    box_one = placement.signature_box(one, LEADER)
    box_three = placement.signature_box(three, LEADER)
    assert box_one.page == 1 and box_three.page == 3
    assert 300 < box_one.y1 < box_one.y2 < 380 + 16  # between the name and the title line
    assert 150 < box_three.y1 < box_three.y2 < 240 + 16
    assert placement.signature_box(one, LEADER.upper()).page == 1  # case does not matter
    with pytest.raises(PlacementError):
        placement.signature_box(one, "Nguyễn Văn Không Có")
    override = Box(1, 10, 10, 100, 50)
    assert placement.signature_box(one, "Nguyễn Văn Không Có", override) == override


def test_vietnamese_text_and_blue_signature_are_rendered(pki_env):
    pdf = decision(LEADER)
    field = leader_field(pdf)
    signed, _ = pades.sign(
        pdf,
        pki_env.credential("phochutich1"),
        pki_env.memory,
        field,
        level=Level.B_B,
        trust=pki_env.trust(tsa=False),
        signing_time=NOW,
    )
    attachment_box = appearance.top_right_box(595, 842)
    attachment, _ = pades.sign(
        signed,
        pki_env.credential("seal"),
        pki_env.memory,
        SignatureField(
            "PhuLuc",
            attachment_box,
            appearance.text_style(["15/QĐ-UBND", appearance.iso_vn(NOW)]),
        ),
        level=Level.B_B,
        trust=pki_env.trust(tsa=False),
        signing_time=NOW,
    )
    document = pdfium.PdfDocument(attachment)
    document.init_forms()  # signature appearances are widget annotations
    page = document[0]
    image = page.render(scale=2, may_draw_forms=True).to_pil().convert("RGB")

    def region(box: Box):
        return image.crop(
            (int(box.x1 * 2), int((842 - box.y2) * 2), int(box.x2 * 2), int((842 - box.y1) * 2))
        )

    blue = [p for p in region(field.box).get_flattened_data() if p[2] > 120 and p[2] > p[0] + 60]
    assert len(blue) > 200  # the blue signature is drawn in its box
    dark = [p for p in region(attachment_box).get_flattened_data() if sum(p) < 200]
    assert len(dark) > 100  # the attachment text is drawn, in black
    # the appearance embeds our font and maps its glyphs back to Unicode, Đ included
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(attachment))
    widget = next(
        a.get_object() for a in reader.pages[0]["/Annots"] if a.get_object()["/T"] == "PhuLuc"
    )
    fonts = widget["/AP"]["/N"]["/Resources"]["/Font"]
    font = next(iter(fonts.values())).get_object()
    to_unicode = font["/ToUnicode"].get_data().decode("latin-1").upper()
    assert "0110" in to_unicode  # Đ
    assert font["/DescendantFonts"][0]["/FontDescriptor"]["/FontFile2"].get_data()


def test_tsa_outage_lowers_the_level_and_keeps_the_signature(pki_env):
    from pyhanko.sign.timestamps import HTTPTimeStamper

    down = Trust(
        [pki_env.pki.trust_root()],
        HTTPTimeStamper("http://127.0.0.1:9/tsa", timeout=2),
        other_certs=[pki_env.pki.certificate("interm")],
    )
    pdf = decision(LEADER)
    signed, outcome = pades.sign(
        pdf,
        pki_env.credential("phochutich1"),
        pki_env.memory,
        leader_field(pdf),
        level=Level.B_LTA,
        trust=down,
        signing_time=NOW,
    )
    assert outcome.requested == Level.B_LTA and outcome.achieved == Level.B_B
    assert "timestamp unavailable" in outcome.warnings[0]
    assert validate(signed, [pki_env.pki.trust_root()]).ok


def test_untrusted_root_and_unsigned_documents(pki_env, one_page_pdf):
    pdf = decision(LEADER)
    signed, _ = pades.sign(
        pdf,
        pki_env.credential("phochutich1"),
        pki_env.memory,
        SignatureField("Sig"),
        level=Level.B_B,
        trust=pki_env.trust(tsa=False),
        signing_time=NOW,
    )
    other_root = pki_env.pki.certificate("tsa")  # trusting the wrong certificate
    report = validate(signed, [other_root])
    assert not report.ok and not report.signatures[0].trusted
    assert "gốc tin cậy" in report.signatures[0].verdict_vi
    assert report.indication == "INDETERMINATE"
    assert report.signatures[0].sub_indication == "NO_CERTIFICATE_CHAIN_FOUND"
    assert validate(signed, [other_root, pki_env.pki.trust_root()]).ok  # several roots
    empty = validate(one_page_pdf, [pki_env.pki.trust_root()])
    assert empty.signatures == [] and empty.verdict_vi == "Văn bản không có chữ ký số."


def test_uploaded_images_are_checked():
    appearance.check_image(appearance.demo_signature_png(LEADER), "blue")
    appearance.check_image(appearance.demo_seal_png("UBND tỉnh Nghệ An"), "red")
    with pytest.raises(ImageRejected) as caught:
        appearance.check_image(appearance.demo_seal_png("UBND"), "blue")
    assert caught.value.code == "image-not-blue"
    from PIL import Image

    opaque = io.BytesIO()
    Image.new("RGB", (100, 40), (255, 255, 255)).save(opaque, "PNG")
    with pytest.raises(ImageRejected) as caught:
        appearance.check_image(opaque.getvalue(), "blue")
    assert caught.value.code == "image-not-transparent"
    with pytest.raises(ImageRejected):
        appearance.check_image(b"not an image", "blue")
