"""Reference data (the legal document-type catalogue) and the demo agency."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from backend.core.db import atomic, session

from .models import DocumentType, Membership, Organisation, Role, Unit, User

# (code, name, abbreviation) — Nghị định 30/2020, Phụ lục III. Công văn and thư công
# have no abbreviation. ``paperless_allowed`` starts True for all and is editable:
# which types must also travel on paper is an agency decision (docs/decisions.md).
DOCUMENT_TYPES: list[tuple[str, str, str | None]] = [
    ("nghi-quyet", "Nghị quyết", "NQ"),
    ("quyet-dinh", "Quyết định", "QĐ"),
    ("chi-thi", "Chỉ thị", "CT"),
    ("quy-che", "Quy chế", "QC"),
    ("quy-dinh", "Quy định", "QyĐ"),
    ("thong-cao", "Thông cáo", "TC"),
    ("thong-bao", "Thông báo", "TB"),
    ("huong-dan", "Hướng dẫn", "HD"),
    ("chuong-trinh", "Chương trình", "CTr"),
    ("ke-hoach", "Kế hoạch", "KH"),
    ("phuong-an", "Phương án", "PA"),
    ("de-an", "Đề án", "ĐA"),
    ("du-an", "Dự án", "DA"),
    ("bao-cao", "Báo cáo", "BC"),
    ("bien-ban", "Biên bản", "BB"),
    ("to-trinh", "Tờ trình", "TTr"),
    ("hop-dong", "Hợp đồng", "HĐ"),
    ("cong-dien", "Công điện", "CĐ"),
    ("ban-ghi-nho", "Bản ghi nhớ", "BGN"),
    ("ban-thoa-thuan", "Bản thỏa thuận", "BTT"),
    ("giay-uy-quyen", "Giấy ủy quyền", "GUQ"),
    ("giay-moi", "Giấy mời", "GM"),
    ("giay-gioi-thieu", "Giấy giới thiệu", "GGT"),
    ("giay-nghi-phep", "Giấy nghỉ phép", "GNP"),
    ("phieu-gui", "Phiếu gửi", "PG"),
    ("phieu-chuyen", "Phiếu chuyển", "PC"),
    ("phieu-bao", "Phiếu báo", "PB"),
    ("cong-van", "Công văn", None),
    ("thu-cong", "Thư công", None),
]
COPY_TYPES: list[tuple[str, str, str]] = [
    ("ban-sao-y", "Bản sao y", "SY"),
    ("ban-trich-sao", "Bản trích sao", "TrS"),
    ("ban-sao-luc", "Bản sao lục", "SL"),
]


def seed_reference_data() -> int:
    """Insert missing document types; returns how many were added. Idempotent."""
    from backend.audit.service import ensure_head

    ensure_head()
    with atomic() as s:
        existing = set(s.scalars(select(DocumentType.code)))
        added = 0
        rows = [(*t, False) for t in DOCUMENT_TYPES] + [(*t, True) for t in COPY_TYPES]
        for order, (code, name, abbr, is_copy) in enumerate(rows):
            if code in existing:
                continue
            s.add(
                DocumentType(
                    code=code, name=name, abbreviation=abbr, is_copy=is_copy, sort_order=order
                )
            )
            added += 1
    return added


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: Role
    position_title: str
    unit: str | None  # unit abbreviation, None for agency leaders


DEMO_ORG = ("000.00.00.H41", "Ủy ban nhân dân tỉnh Nghệ An", "UBND")
DEMO_UNITS = [
    ("VP", "Văn phòng UBND tỉnh"),
    ("KT", "Phòng Kinh tế"),
    ("VX", "Phòng Văn hóa - Xã hội"),
    ("NC", "Phòng Nội chính"),
]
DEMO_USERS = [
    DemoUser("chutich", "Nguyễn Văn Thắng", Role.LEADER, "Chủ tịch", None),
    DemoUser("phochutich1", "Lê Thị Hồng Hạnh", Role.LEADER, "Phó Chủ tịch", None),
    DemoUser("phochutich2", "Trần Quốc Bảo", Role.LEADER, "Phó Chủ tịch", None),
    DemoUser("chanhvanphong", "Phạm Minh Đức", Role.HEAD, "Chánh Văn phòng", "VP"),
    DemoUser("truongphong.kt", "Hoàng Thị Lan", Role.HEAD, "Trưởng phòng", "KT"),
    DemoUser("chuyenvien.kt", "Đặng Văn Hùng", Role.SPECIALIST, "Chuyên viên", "KT"),
    DemoUser("truongphong.vx", "Vũ Thị Thu Hà", Role.HEAD, "Trưởng phòng", "VX"),
    DemoUser("chuyenvien.vx", "Bùi Quang Huy", Role.SPECIALIST, "Chuyên viên", "VX"),
    DemoUser("truongphong.nc", "Đỗ Mạnh Cường", Role.HEAD, "Trưởng phòng", "NC"),
    DemoUser("chuyenvien.nc", "Ngô Thị Mai", Role.SPECIALIST, "Chuyên viên", "NC"),
    DemoUser("vanthu", "Phan Thị Ngọc Ánh", Role.CLERK, "Văn thư", "VP"),
    DemoUser("quantri", "Trịnh Văn Tuấn", Role.ADMIN, "Quản trị hệ thống", "VP"),
]


def demo_email(username: str) -> str:
    """A reserved domain (RFC 2606): demo mail can only ever reach the local sink."""
    return f"{username}@nghean.example"


def seed_demo(password: str) -> list[DemoUser]:
    """Create the demo agency, its units and users if missing. Idempotent."""
    from backend.auth.service import hash_password

    seed_reference_data()
    s = session()
    with atomic():
        code, name, short = DEMO_ORG
        org = s.scalar(select(Organisation).where(Organisation.code == code))
        if org is None:
            org = Organisation(code=code, name=name, short_name=short)
            s.add(org)
            s.flush()
        units = {
            u.abbreviation: u for u in s.scalars(select(Unit).where(Unit.organisation_id == org.id))
        }
        for abbr, unit_name in DEMO_UNITS:
            if abbr not in units:
                units[abbr] = Unit(organisation_id=org.id, name=unit_name, abbreviation=abbr)
                s.add(units[abbr])
        s.flush()
        existing = {u.username: u for u in s.scalars(select(User))}
        for demo in DEMO_USERS:
            if demo.username in existing:
                user = existing[demo.username]
                user.email = user.email or demo_email(demo.username)  # seeded before e-mail
                continue
            user = User(
                username=demo.username,
                full_name=demo.full_name,
                email=demo_email(demo.username),
                password_hash=hash_password(password),
            )
            s.add(user)
            s.flush()
            s.add(
                Membership(
                    user_id=user.id,
                    organisation_id=org.id,
                    unit_id=units[demo.unit].id if demo.unit else None,
                    role=demo.role,
                    position_title=demo.position_title,
                )
            )
    return DEMO_USERS
