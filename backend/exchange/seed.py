"""The demo's exchange: two departments of UBND tỉnh Nghệ An as organisations of this
installation (each with its clerk, leader and head; `flask dev-pki` then gives them a
seal and keys), the directory with both forms of every code, and a few agencies reached
over the development axis, which answer by themselves (status 01, then 03)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from backend.core.db import atomic, session
from backend.org.models import Membership, Organisation, Role, Unit, User
from backend.org.seed import DEMO_ORG

from . import directory
from .models import DirectoryEntry, Reach
from .runtime import settings


@dataclass(frozen=True)
class DemoDepartment:
    code: str
    code_qd20: str
    name: str
    short_name: str
    units: list[tuple[str, str]]
    people: list[tuple[str, str, Role, str, str | None]]  # username, name, role, title, unit


# Codes of the departments are demo values in the province's range [U].
DEPARTMENTS = [
    DemoDepartment(
        "000.00.06.H41",
        "H41.06",
        "Sở Tài chính tỉnh Nghệ An",
        "STC",
        [("VP", "Văn phòng Sở"), ("NS", "Phòng Quản lý ngân sách")],
        [
            ("giamdoc.stc", "Nguyễn Xuân Đức", Role.LEADER, "Giám đốc", None),
            ("truongphong.ns", "Trần Thị Minh", Role.HEAD, "Trưởng phòng", "NS"),
            ("vanthu.stc", "Lê Thị Thu", Role.CLERK, "Văn thư", "VP"),
        ],
    ),
    DemoDepartment(
        "000.00.03.H41",
        "H41.03",
        "Sở Nội vụ tỉnh Nghệ An",
        "SNV",
        [("VP", "Văn phòng Sở"), ("TCBM", "Phòng Tổ chức bộ máy")],
        [
            ("giamdoc.snv", "Hồ Văn Nam", Role.LEADER, "Giám đốc", None),
            ("truongphong.tcbm", "Phan Thị Hà", Role.HEAD, "Trưởng phòng", "TCBM"),
            ("vanthu.snv", "Võ Thị Lan", Role.CLERK, "Văn thư", "VP"),
        ],
    ),
]
# (code, QĐ 20 form, name, place, address)
AXIS_AGENCIES = [
    (
        "000.00.00.G22",
        "G22",
        "Văn phòng Chính phủ",
        "Hà Nội",
        "Số 1 Hoàng Hoa Thám, Ba Đình, Hà Nội",
    ),
    ("000.00.00.G12", "G12", "Bộ Tài chính", "Hà Nội", "Số 28 Trần Hưng Đạo, Hoàn Kiếm, Hà Nội"),
    ("000.00.00.G09", "G09", "Bộ Nội vụ", "Hà Nội", "Số 8 Tôn Thất Thuyết, Cầu Giấy, Hà Nội"),
]
PROVINCE_DETAILS = {
    "code_qd20": "H41",
    "place": "Nghệ An",
    "address": "Số 03, đường Trường Thi, Thành phố Vinh, Tỉnh Nghệ An",
    "email": "ubnd@nghean.gov.vn",
    "telephone": "0238 3840418",
    "website": "nghean.gov.vn",
}
DEMO_AXIS_SYSTEM = "demo-agencies"


def seed_exchange_demo(password: str) -> list[tuple[str, str, str, str]]:
    """Idempotent. Returns the departments' accounts (username, name, title, organisation)."""
    from backend.auth.service import hash_password

    s = session()
    accounts = []
    with atomic():
        province = s.scalar(select(Organisation).where(Organisation.code == DEMO_ORG[0]))
        if province is None:
            raise RuntimeError("seed the demo agency first")
        existing = set(s.scalars(select(User.username)))
        for dept in DEPARTMENTS:
            org = s.scalar(select(Organisation).where(Organisation.code == dept.code))
            if org is None:
                org = Organisation(
                    code=dept.code,
                    name=dept.name,
                    short_name=dept.short_name,
                    parent_id=province.id,
                )
                s.add(org)
                s.flush()
            units = {
                u.abbreviation: u
                for u in s.scalars(select(Unit).where(Unit.organisation_id == org.id))
            }
            for abbr, name in dept.units:
                if abbr not in units:
                    units[abbr] = Unit(organisation_id=org.id, name=name, abbreviation=abbr)
                    s.add(units[abbr])
            s.flush()
            for username, full_name, role, title, unit in dept.people:
                accounts.append((username, full_name, f"{title} ({role})", dept.short_name))
                if username in existing:
                    continue
                user = User(
                    username=username, full_name=full_name, password_hash=hash_password(password)
                )
                s.add(user)
                s.flush()
                s.add(
                    Membership(
                        user_id=user.id,
                        organisation_id=org.id,
                        unit_id=units[unit].id if unit else None,
                        role=role,
                        position_title=title,
                    )
                )
    directory.sync_installation()
    with atomic():
        entries = {e.code: e for e in s.scalars(select(DirectoryEntry))}
        province_entry = entries[DEMO_ORG[0]]
        for key, value in PROVINCE_DETAILS.items():
            if not getattr(province_entry, key):
                setattr(province_entry, key, value)
        for dept in DEPARTMENTS:
            entry = entries[dept.code]
            entry.code_qd20 = entry.code_qd20 or dept.code_qd20
            entry.place = entry.place or "Nghệ An"
            entry.parent_id = province_entry.id
        for code, qd20, name, place, address in AXIS_AGENCIES:
            if code in entries:
                continue
            s.add(
                DirectoryEntry(
                    code=code,
                    code_qd20=qd20,
                    name=name,
                    reach=Reach.AXIS,
                    place=place,
                    address=address,
                )
            )
    return accounts


def write_dev_axis_config() -> Path:
    """The development axis's systems: this installation (serving its organisations'
    codes, with its secret) and the demo agencies, which answer by themselves."""
    s = settings()
    codes = sorted(
        session().scalars(
            select(DirectoryEntry.code).where(DirectoryEntry.reach == Reach.INSTALLATION)
        )
    )
    agencies = sorted(
        session().scalars(select(DirectoryEntry.code).where(DirectoryEntry.reach == Reach.AXIS))
    )
    config: dict[str, Any] = {
        "systems": {
            s.exchange_vxp_system_id: {"secret": s.exchange_vxp_secret, "codes": codes},
            DEMO_AXIS_SYSTEM: {
                # nobody signs in as the demo agencies: they only answer
                "secret": "",
                "codes": agencies,
                "auto_answer": True,
            },
        }
    }
    path = Path(s.var_dir) / "devaxis.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(config, ensure_ascii=False, indent=1))
    tmp.chmod(0o600)
    tmp.replace(path)
    return path
