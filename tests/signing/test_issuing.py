"""What an issued document guarantees: the seal locks it (a number written later, an
annotation, a content rewrite are all flagged, by our report and by pyHanko), archival
updates stay allowed, the date line follows Nghị định 30 and is placed only on the
header's blank, PDFs with direct annotations validate after B-LTA, a timestamp added
after a forbidden change protects nothing, the seal looks like a seal, and archive
timestamps are renewed before their TSA certificate expires."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pypdfium2 as pdfium
import pytest
from fpdf import FPDF
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.signers import SimpleSigner
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signing import appearance, pades, placement
from signing.appearance import FONT, Box
from signing.pades import Level, SignatureField, Stamp, Trust
from signing.samples import decision, draft
from signing.validation import validate

NOW = datetime.now(UTC)
LEADER = "Lê Thị Hồng Hạnh"
AGENCY = "Ủy ban nhân dân tỉnh Nghệ An"


def _sign_leader(pki_env, pdf: bytes, level: Level = Level.B_LTA) -> tuple[bytes, Box]:
    box = placement.signature_box(pdf, LEADER)
    field = SignatureField(
        "ChuKy", box, appearance.image_style(appearance.demo_signature_png(LEADER))
    )
    signed, outcome = pades.sign(
        pdf,
        pki_env.credential("phochutich1"),
        pki_env.memory,
        field,
        level=level,
        trust=pki_env.trust(),
        signing_time=NOW,
    )
    assert outcome.achieved == level
    return signed, box


def _issue(pki_env, signed: bytes, leader_box: Box, *, trust: Trust | None = None) -> bytes:
    number_box, date_box = placement.issue_boxes(signed)
    assert number_box is not None and date_box is not None
    seal_png = appearance.demo_seal_png(AGENCY)
    seal = SignatureField(
        "DauCoQuan",
        appearance.seal_box(leader_box, seal_png),
        appearance.image_style(seal_png),
        lock_document=True,
    )
    prepared = pades.prepare(
        signed,
        pki_env.credential("seal"),
        seal,
        level=Level.B_LTA,
        signing_time=NOW,
        stamps=[
            Stamp("SoKyHieu", number_box, ["Số: 15/QĐ-UBND"]),
            Stamp("NgayBanHanh", date_box, [appearance.issue_date_text(NOW)]),
        ],
    )
    [value] = pki_env.memory.sign_digests(pki_env.credential("seal"), [prepared.digest])
    issued, outcome = pades.finish(prepared.state, prepared.pdf, value, trust or pki_env.trust())
    assert outcome.achieved == Level.B_LTA
    return issued


@pytest.fixture(scope="module")
def issued(pki_env) -> bytes:
    signed, box = _sign_leader(pki_env, decision(LEADER))
    return _issue(pki_env, signed, box)


def _seal_verdicts(pki_env, pdf: bytes) -> tuple[str, str | None, bool]:
    """Our report's indication for the seal, and pyHanko's own bottom line for it."""
    report = validate(pdf, [pki_env.pki.trust_root()])
    [seal] = [s for s in report.signatures if s.field == "DauCoQuan"]
    reader = PdfFileReader(io.BytesIO(pdf))
    embedded = next(s for s in reader.embedded_signatures if s.field_name == "DauCoQuan")
    context = ValidationContext(
        trust_roots=[pki_env.pki.trust_root()],
        other_certs=list(embedded.other_embedded_certs),
        allow_fetching=True,
    )
    status = validate_pdf_signature(embedded, signer_validation_context=context)
    return seal.indication, seal.sub_indication, status.bottom_line


def test_an_issued_document_passes_and_is_locked(pki_env, issued):
    assert _seal_verdicts(pki_env, issued) == ("TOTAL_PASSED", None, True)
    report = validate(issued, [pki_env.pki.trust_root()])
    assert report.ok and report.indication == "TOTAL_PASSED"
    assert [s.field for s in report.signatures if s.kind == "signature"] == ["ChuKy", "DauCoQuan"]


def test_a_number_signed_into_the_field_later_is_flagged(pki_env, issued):
    """The attack: sign the empty number field with another number."""
    material = pki_env.pki.signer("phochutich1")
    signer = SimpleSigner(
        material.certificate,
        material.private_key,
        SimpleCertificateStore.from_certs(material.chain),
    )
    out = io.BytesIO()
    signers.PdfSigner(
        signers.PdfSignatureMetadata(field_name="SoKyHieu"),
        signer,
        stamp_style=appearance.text_style(["Số: 99/QĐ-UBND"], 12),
    ).sign_pdf(IncrementalPdfFileWriter(io.BytesIO(issued)), output=out)
    indication, sub, pyhanko_ok = _seal_verdicts(pki_env, out.getvalue())
    assert (indication, sub, pyhanko_ok) == ("TOTAL_FAILED", "FORMAT_FAILURE", False)


def test_an_added_annotation_is_flagged(pki_env, issued):
    writer = IncrementalPdfFileWriter(io.BytesIO(issued))
    page_ref = writer.find_page_for_modification(0)[0]
    page = page_ref.get_object()
    note = writer.add_object(
        generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Annot"),
                generic.NameObject("/Subtype"): generic.NameObject("/FreeText"),
                generic.NameObject("/Rect"): generic.ArrayObject(
                    [generic.NumberObject(v) for v in (70, 790, 300, 815)]
                ),
                generic.NameObject("/Contents"): generic.TextStringObject("Số: 99/QĐ-UBND"),
                generic.NameObject("/DA"): generic.TextStringObject("/Helv 12 Tf 0 g"),
            }
        )
    )
    annots = page["/Annots"].get_object()
    annots.append(note)
    writer.update_container(annots)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    indication, sub, pyhanko_ok = _seal_verdicts(pki_env, out.getvalue())
    assert (indication, sub, pyhanko_ok) == ("TOTAL_FAILED", "FORMAT_FAILURE", False)


def test_a_content_rewrite_is_flagged(pki_env, issued):
    from signing.samples import _add_text

    writer = IncrementalPdfFileWriter(io.BytesIO(issued))
    _add_text(writer, 0, 70, 700, "Nội dung chèn thêm sau khi ban hành")
    out = io.BytesIO()
    writer.write(out)
    indication, sub, pyhanko_ok = _seal_verdicts(pki_env, out.getvalue())
    assert (indication, sub, pyhanko_ok) == ("TOTAL_FAILED", "FORMAT_FAILURE", False)


def test_archival_updates_stay_allowed(pki_env, issued):
    """A later document timestamp with validation data (the archival renewal) is what the
    lock permits."""
    renewed = pades.renew_archive_timestamp(issued, pki_env.trust())
    assert len(renewed) > len(issued)
    assert _seal_verdicts(pki_env, renewed) == ("TOTAL_PASSED", None, True)
    report = validate(renewed, [pki_env.pki.trust_root()])
    assert report.ok
    assert [s.kind for s in report.signatures].count("document-timestamp") == 3


def test_a_timestamp_after_a_forbidden_change_protects_nothing(pki_env, issued):
    from signing.samples import _add_text

    writer = IncrementalPdfFileWriter(io.BytesIO(issued))
    _add_text(writer, 0, 70, 700, "Sửa trái phép")
    out = io.BytesIO()
    writer.write(out)
    forged = pades._document_timestamp(out.getvalue(), pki_env.trust())
    report = validate(forged, [pki_env.pki.trust_root()])
    stamps = [s for s in report.signatures if s.kind == "document-timestamp"]
    # the timestamps from before the change still prove their moment; the one added
    # after it does not vouch for the document
    assert [s.indication for s in stamps[:-1]] == ["TOTAL_PASSED"] * (len(stamps) - 1)
    assert (stamps[-1].indication, stamps[-1].sub_indication) == (
        "INDETERMINATE",
        "SIG_CONSTRAINTS_FAILURE",
    )
    assert "không bảo vệ" in stamps[-1].verdict_vi
    assert not report.ok and report.indication == "TOTAL_FAILED"


def test_labels_are_vietnamese_first(pki_env, issued):
    report = validate(issued, [pki_env.pki.trust_root()])
    labels = {s.kind_label_vi for s in report.signatures} | {
        s.level_label_vi for s in report.signatures
    }
    assert "Dấu thời gian của văn bản" in labels and "B-LTA: lưu trữ dài hạn" in labels
    assert not any("document timestamp" in label.lower() for label in labels)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 12, 4, 3, 0, tzinfo=UTC), "ngày 04 tháng 12 năm 2026"),
        (datetime(2027, 2, 5, 3, 0, tzinfo=UTC), "ngày 05 tháng 02 năm 2027"),
        (datetime(2026, 1, 15, 3, 0, tzinfo=UTC), "ngày 15 tháng 01 năm 2026"),
        (datetime(2026, 9, 4, 3, 0, tzinfo=UTC), "ngày 04 tháng 9 năm 2026"),
        # 20:00 UTC on 31 December is already New Year's Day in Vietnam
        (datetime(2026, 12, 31, 20, 0, tzinfo=UTC), "ngày 01 tháng 01 năm 2027"),
    ],
)
def test_the_date_of_issue_is_written_as_nghi_dinh_30_says(moment, expected):
    assert appearance.issue_date_text(moment) == expected


def _dark_pixels(pdf: bytes, box: Box, scale: float = 2.0) -> int:
    document = pdfium.PdfDocument(pdf)
    document.init_forms()
    page = document[box.page - 1]
    height = page.get_height()
    image = page.render(scale=scale, may_draw_forms=True).to_pil().convert("L")
    crop = image.crop(
        (
            int(box.x1 * scale),
            int((height - box.y2) * scale),
            int(box.x2 * scale),
            int((height - box.y1) * scale),
        )
    )
    return sum(1 for p in crop.get_flattened_data() if p < 128)


def test_the_date_goes_on_the_header_line_next_to_the_place_name(pki_env):
    pdf = decision(LEADER)
    number_box, date_box = placement.issue_boxes(pdf)
    assert number_box is not None and date_box is not None
    place = Box(1, 330, 795, date_box.x1 - 1, 815)  # "Nghệ An," stays printed
    signed, box = _sign_leader(pki_env, pdf, Level.B_T)
    issued = _issue(pki_env, signed, box)
    assert _dark_pixels(issued, place) == _dark_pixels(pdf, place) > 50
    text = pdfium.PdfDocument(issued)[0].get_textpage().get_text_range()
    assert "Nghệ An," in text


def test_a_draft_without_header_blanks_keeps_its_body_text():
    """The body's "ngày … tháng … năm" (with figures, or a blank low on the page) is never
    taken for the header's date line."""
    body_line = (70, 600, "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020;")
    blank_low = (330, 200, "Nghệ An, ngày      tháng      năm 2026")
    pdf = draft([[(70, 760, "QUYẾT ĐỊNH"), body_line, blank_low]])
    assert placement.issue_boxes(pdf) == (None, None)
    # with a header: the line with a place name and a comma wins over other blanks
    header = draft(
        [
            [
                (70, 810, "ngày      tháng      năm"),
                (330, 790, "Hà Nội, ngày      tháng      năm 2026"),
                body_line,
            ]
        ]
    )
    _number, date_box = placement.issue_boxes(header)
    assert date_box is not None and date_box.x1 > 330 and 780 < date_box.y1 < 795


def test_a_pdf_with_direct_annotations_validates_at_b_lta(pki_env):
    """FPDF2 writes link annotations as direct objects in /Annots; what we add after the
    signature (validation data, archive timestamp) must not make our signature fail."""
    doc = FPDF()
    doc.add_page()
    doc.add_font("vi", fname=str(FONT))
    doc.set_font("vi", size=12)
    doc.cell(text="Quyết định (xem cổng thông tin)", link="https://nghean.gov.vn")
    doc.ln(12)
    doc.cell(text="Phụ lục", link="https://nghean.gov.vn/phu-luc")
    doc.set_xy(120, 200)
    doc.cell(text="PHÓ CHỦ TỊCH")
    doc.set_xy(120, 230)
    doc.cell(text=LEADER)
    pdf = bytes(doc.output())
    assert b"/Annots [<<" in pdf  # the producer's habit this test is about
    signed, box = _sign_leader(pki_env, pdf)
    report = validate(signed, [pki_env.pki.trust_root()])
    assert report.ok, [(s.field, s.sub_indication) for s in report.signatures]
    # and issuing on top of it (stamps are not found here: no header blanks) stays valid
    renewed = pades.renew_archive_timestamp(signed, pki_env.trust())
    assert validate(renewed, [pki_env.pki.trust_root()]).ok


def test_the_seal_is_round_red_with_a_star_and_curved_text():
    png = appearance.demo_seal_png(AGENCY)
    appearance.check_image(png, "red")  # transparent PNG, red ink: what uploads must be
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    d = image.width
    red = lambda p: p[3] > 128 and p[0] > 150 and p[1] < 90  # noqa: E731
    assert image.getpixel((2, 2))[3] == 0 and image.getpixel((d - 3, d - 3))[3] == 0
    assert red(image.getpixel((d // 2, d // 2)))  # the star's centre
    assert red(image.getpixel((d // 2, int(d * 0.44))))  # …and its upper arm
    assert not red(image.getpixel((int(d * 0.40), int(d * 0.40))))  # between the arms
    # the name runs along the ring: ink in the band between the rings on the left, the
    # top and the right, and none at the bottom (the name leaves a gap there)
    band = [
        (x, y)
        for x in range(d)
        for y in range(d)
        if 0.33 * d < ((x - d / 2) ** 2 + (y - d / 2) ** 2) ** 0.5 < 0.42 * d
    ]
    left = sum(1 for x, y in band if x < d * 0.3 and red(image.getpixel((x, y))))
    top = sum(1 for x, y in band if y < d * 0.3 and red(image.getpixel((x, y))))
    bottom = sum(
        1
        for x, y in band
        if y > d * 0.8 and abs(x - d / 2) < d * 0.08 and red(image.getpixel((x, y)))
    )
    assert left > 500 and top > 500 and bottom == 0
    # printed at real size: 36 mm across
    box = appearance.seal_box(Box(1, 300, 300, 450, 360), png)
    assert box.width == pytest.approx(36 * 72 / 25.4)


def test_archive_timestamps_are_renewed_before_the_tsa_expires(pki_env):
    expiring = Trust(
        [pki_env.pki.trust_root()],
        pades.timestamper(pki_env.pki.expiring_tsa_url),
        other_certs=[pki_env.pki.certificate("interm")],
    )
    pdf = decision(LEADER)
    box = placement.signature_box(pdf, LEADER)
    signed, outcome = pades.sign(
        pdf,
        pki_env.credential("phochutich1"),
        pki_env.memory,
        SignatureField("ChuKy", box, appearance.image_style(appearance.demo_signature_png(LEADER))),
        level=Level.B_LTA,
        trust=expiring,
        signing_time=NOW,
    )
    assert outcome.achieved == Level.B_LTA
    until = pades.newest_archive_expiry(signed)
    assert until is not None and until < NOW + timedelta(days=90)
    renewed = pades.renew_archive_timestamp(signed, pki_env.trust())
    later = pades.newest_archive_expiry(renewed)
    assert later is not None and later > NOW + timedelta(days=365 * 10)
    report = validate(renewed, [pki_env.pki.trust_root()])
    assert report.ok
    assert [s.kind for s in report.signatures] == [
        "signature",
        "document-timestamp",
        "document-timestamp",
    ]
