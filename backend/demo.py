"""Demo documents for `make run`: decisions drafted in Phòng Kinh tế, on their way to
the vice-chairman's signature, so a fresh install shows the whole round (review, sign,
issue with the seal). Created once; never in production."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from backend.conversion.templates import decision_docx, letter_docx
from backend.core.db import session
from backend.documents import service as documents
from backend.documents.models import Document
from backend.org.models import DocumentType, Organisation, User
from backend.org.seed import DEMO_ORG
from backend.workflow import service as workflow
from backend.workflow.models import SigningPrefix
from signing.samples import decision

DEMO_DOCUMENTS = [
    # subject, urgency, reviewed by the head already (so it waits for the signature)
    ("Quyết định phê duyệt kế hoạch chuyển đổi số năm 2027", "khan", True),
    ("Quyết định thành lập Tổ công tác cải cách hành chính", "normal", True),
    ("Quyết định phân bổ kinh phí sửa chữa trường học", "thuong_khan", True),
    ("Quyết định ban hành quy chế làm việc của Văn phòng", "normal", False),
]


def seed_demo_documents() -> int:
    s = session()
    org = s.scalar(select(Organisation).where(Organisation.code == DEMO_ORG[0]))
    if org is None:
        return 0
    if s.scalar(select(func.count(Document.id)).where(Document.organisation_id == org.id)):
        return 0
    users = {u.username: u for u in s.scalars(select(User))}
    drafter, head = users["chuyenvien.kt"], users["truongphong.kt"]
    signer, clerk = users["phochutich1"], users["vanthu"]
    decision_type = s.scalar(select(DocumentType).where(DocumentType.code == "quyet-dinh"))
    assert decision_type is not None
    steps = [
        {"kind": "review", "actors": [{"user_id": head.id}]},
        {
            "kind": "sign",
            "actors": [{"user_id": signer.id}],
            "signing_prefix": SigningPrefix.KT.value,
        },
        {"kind": "issue", "actors": [{"user_id": clerk.id}]},
    ]
    for subject, urgency, reviewed in DEMO_DOCUMENTS:
        pdf = decision(signer.full_name, subject=subject)
        document = documents.create_document(
            drafter,
            {"document_type_id": decision_type.id, "subject": subject, "urgency": urgency},
            documents.Upload("file", "du-thao.pdf", io.BytesIO(pdf)),
            [],
        )
        workflow.set_route(drafter, document.id, document.etag, steps=steps, template_id=None)
        document = workflow.submit(drafter, document.id, _etag(document.id))
        if reviewed:
            workflow.approve(head, document.id, _etag(document.id), "Đồng ý, trình ký.")
    return len(DEMO_DOCUMENTS)


def _etag(document_id: int) -> str:
    document = session().get(Document, document_id)
    assert document is not None
    session().refresh(document)
    return document.etag


# Drafts written in Word from the Nghị định 30 templates (a Quyết định and a Công văn, with
# the blank "Số:" and "ngày … tháng … năm" lines and the signer's block): uploaded as .docx,
# converted to PDF by the worker on first run, then the drafter submits them.
WORD_DRAFTS = [
    (
        "quyet-dinh",
        "Quyết định phê duyệt Đề án số hóa hồ sơ lưu trữ giai đoạn 2027-2030",
        "phê duyệt Đề án số hóa hồ sơ lưu trữ giai đoạn 2027-2030",
        "Du thao QD so hoa.docx",
    ),
    (
        "cong-van",
        "Công văn đôn đốc triển khai dịch vụ công trực tuyến toàn trình",
        "đôn đốc triển khai dịch vụ công trực tuyến toàn trình",
        "Du thao CV dich vu cong.docx",
    ),
]


def seed_word_drafts() -> int:
    """The two Word drafts of the demo (once): waiting for their PDF, their route set."""
    s = session()
    org = s.scalar(select(Organisation).where(Organisation.code == DEMO_ORG[0]))
    if org is None:
        return 0
    users = {u.username: u for u in s.scalars(select(User))}
    drafter, head = users["chuyenvien.kt"], users["truongphong.kt"]
    signer, clerk = users["phochutich1"], users["vanthu"]
    created = 0
    for type_code, subject, about, filename in WORD_DRAFTS:
        if s.scalar(select(Document.id).where(Document.subject == subject)):
            continue
        doc_type = s.scalar(select(DocumentType).where(DocumentType.code == type_code))
        assert doc_type is not None
        make = decision_docx if type_code == "quyet-dinh" else letter_docx
        document = documents.create_document(
            drafter,
            {"document_type_id": doc_type.id, "subject": subject},
            documents.Upload("file", filename, io.BytesIO(make(signer.full_name, about))),
            [],
        )
        steps = [
            {"kind": "review", "actors": [{"user_id": head.id}]},
            {"kind": "sign", "actors": [{"user_id": signer.id}], "signing_prefix": "KT."},
            {"kind": "issue", "actors": [{"user_id": clerk.id}]},
        ]
        workflow.set_route(drafter, document.id, _etag(document.id), steps=steps, template_id=None)
        created += 1
    return created
