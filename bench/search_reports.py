"""Search (and reports) benchmark: with 100,000 documents of Vietnamese text on
PostgreSQL, p50/p95 of GET /api/search for a common and a rare term, served by gunicorn,
beside the bare-Flask ceiling served the same way in the same run.

    .venv/bin/python bench/search_reports.py [--documents 100000] [--requests 500]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/trinhky_bench_search

The database named by the URL is dropped and created again. The searching user is a
leader who signs a fifth of the agency's documents (visibility is part of every query).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api_baseline import free_port, load, start_gunicorn  # noqa: E402
from bench.workflow import chunked, login, recreate_database  # noqa: E402

PASSWORD = "bench-password-2026"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/trinhky_bench_search"
LEADERS, UNITS = 5, 30

TYPES = ["Quyết định", "Công văn", "Kế hoạch", "Báo cáo", "Tờ trình", "Thông báo", "Giấy mời"]
TOPICS = [
    "triển khai nhiệm vụ phát triển kinh tế - xã hội",
    "tăng cường công tác phòng cháy, chữa cháy",
    "phê duyệt kế hoạch đào tạo, bồi dưỡng cán bộ, công chức",
    "đẩy mạnh cải cách hành chính và chuyển đổi số",
    "tổ chức Hội nghị tổng kết công tác năm",
    "phòng, chống thiên tai và tìm kiếm cứu nạn",
    "quản lý, sử dụng đất đai trên địa bàn tỉnh",
    "giải ngân vốn đầu tư công",
    "bảo đảm trật tự an toàn giao thông dịp Tết Nguyên đán",
    "chấn chỉnh kỷ luật, kỷ cương hành chính",
    "thực hiện chương trình mục tiêu quốc gia xây dựng nông thôn mới",
    "kiểm tra việc chấp hành pháp luật về bảo vệ môi trường",
]
PLACES = ["thành phố Vinh", "huyện Nghi Lộc", "thị xã Cửa Lò", "huyện Diễn Châu", "huyện Quỳnh Lưu"]
SENTENCES = [
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015.",
    "Xét đề nghị của Giám đốc Sở Kế hoạch và Đầu tư tại Tờ trình số 125/TTr-SKHĐT.",
    "Ủy ban nhân dân tỉnh yêu cầu các sở, ban, ngành khẩn trương triển khai thực hiện.",
    "Giao Sở Tài chính chủ trì, phối hợp với các đơn vị liên quan tham mưu bố trí kinh phí.",
    "Các đơn vị báo cáo kết quả thực hiện về Văn phòng UBND tỉnh trước ngày 15 hằng tháng.",
    "Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, kịp thời báo cáo để xem xét.",
    "Chánh Văn phòng UBND tỉnh, Thủ trưởng các sở, ngành chịu trách nhiệm thi hành.",
    "Quyết định này có hiệu lực kể từ ngày ký.",
    "Tăng cường kiểm tra, giám sát, xử lý nghiêm các trường hợp vi phạm.",
    "Đảm bảo tiến độ, chất lượng và hiệu quả sử dụng ngân sách nhà nước.",
]
RARE = "Dự án mở rộng Cảng hàng không quốc tế Vinh giai đoạn hai."  # in 1 of 1,000


def populate(env: dict[str, str], documents: int) -> str:
    """Bulk-load an agency and its documents, with their search rows (what the upload
    path writes), then VACUUM ANALYZE. Returns the benchmarked leader's username."""
    os.environ.update(env)
    from sqlalchemy import insert, text

    from backend.app import create_app
    from backend.auth.service import hash_password
    from backend.core.db import atomic, get_db
    from backend.documents.models import Document, DocumentParticipant
    from backend.migrate import upgrade
    from backend.org.models import Membership, Organisation, Unit, User
    from backend.org.seed import seed_reference_data
    from backend.search.models import DocumentSearch
    from backend.search.text import index_text

    rng = random.Random(2026)
    app = create_app()
    upgrade(app.extensions["settings"].database_url)
    with app.app_context():
        seed_reference_data()
        with atomic() as s:
            type_ids = [t for (t,) in s.execute(text("SELECT id FROM document_types"))]
            s.execute(
                insert(Organisation),
                [
                    {
                        "id": 1,
                        "code": "000.00.00.H41",
                        "name": "UBND tỉnh Nghệ An",
                        "short_name": "UBND",
                    }
                ],
            )
            s.execute(
                insert(Unit),
                [
                    {"id": u, "organisation_id": 1, "name": f"Sở số {u}", "abbreviation": f"S{u}"}
                    for u in range(1, UNITS + 1)
                ],
            )
            pw = hash_password(PASSWORD)
            users = LEADERS + UNITS * 3
            s.execute(
                insert(User),
                [
                    {
                        "id": uid,
                        "username": f"u{uid}",
                        "full_name": f"Người dùng {uid}",
                        "password_hash": pw,
                        "active": True,
                        "failed_logins": 0,
                    }
                    for uid in range(1, users + 1)
                ],
            )
            s.execute(
                insert(Membership),
                [
                    {
                        "user_id": uid,
                        "organisation_id": 1,
                        "unit_id": None if uid <= LEADERS else 1 + (uid - LEADERS - 1) % UNITS,
                        "role": "leader" if uid <= LEADERS else "specialist",
                        "position_title": "",
                    }
                    for uid in range(1, users + 1)
                ],
            )
            s.execute(
                text("SELECT setval(pg_get_serial_sequence('users', 'id'), :n)"), {"n": users}
            )

        start = datetime.now(UTC) - timedelta(days=730)
        docs, parts, searches = [], [], []
        for d in range(1, documents + 1):
            unit = 1 + d % UNITS
            drafter = LEADERS + unit
            leader = 1 + d % LEADERS
            created = start + timedelta(seconds=d * 600)
            issued = rng.random() < 0.6
            doc_type = rng.choice(TYPES)
            subject = f"{doc_type} về việc {rng.choice(TOPICS)} tại {rng.choice(PLACES)}"
            number = f"{d % 900 + 1:02d}/{'QĐ' if doc_type == 'Quyết định' else 'UBND'}-S{unit}"
            body = " ".join(rng.choice(SENTENCES) for _ in range(rng.randint(4, 10)))
            if d % 1000 == 0:
                body += " " + RARE
            docs.append(
                {
                    "id": d,
                    "organisation_id": 1,
                    "unit_id": unit,
                    "direction": "outgoing",
                    "document_type_id": rng.choice(type_ids),
                    "subject": subject,
                    "urgency": "normal",
                    "urgency_rank": 0,
                    "secrecy": "normal",
                    "status": "issued" if issued else "in_review",
                    "number_symbol": number if issued else None,
                    "current_version": 1,
                    "created_by_id": drafter,
                    "created_at": created,
                    "updated_at": created,
                    "row_version": 1,
                }
            )
            parts += [
                {"document_id": d, "user_id": drafter, "role": "drafter", "created_at": created},
                {"document_id": d, "user_id": leader, "role": "signer", "created_at": created},
            ]
            sender = f"Sở số {unit}"
            head = " ".join(p for p in (number if issued else "", subject, sender) if p)
            searches.append(
                {
                    "document_id": d,
                    "head": index_text(head),
                    "body": index_text(body),
                    "body_text": " " + body,
                    "sender": sender,
                    "indexed_at": created,
                }
            )
        for model, rows in [
            (Document, docs),
            (DocumentParticipant, parts),
            (DocumentSearch, searches),
        ]:
            for chunk in chunked(rows):
                with atomic() as s:
                    s.execute(insert(model), chunk)
        populate_assignments(docs, rng)
        with get_db().engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE"))
    return "u1"


def populate_assignments(docs: list[dict], rng: random.Random) -> int:
    """Phiếu giải quyết for every other document, as the assign and sub-assign paths
    write them: a lead unit (with one specialist's part) and a cooperating unit, assigned
    by one of the leaders an hour after the document arrived, due ten days later. Older
    than a month: completed (one in ten late); the last month: open, some overdue."""
    from sqlalchemy import insert

    from backend.assignments.models import Assignment
    from backend.assignments.service import due_at_of
    from backend.core.db import atomic
    from backend.core.timeutil import to_vn

    now = datetime.now(UTC)
    rows: list[dict] = []
    next_id = 1
    for doc in docs[::2]:
        created = doc["created_at"] + timedelta(hours=1)
        deadline = to_vn(created).date() + timedelta(days=10)
        due = due_at_of(deadline)
        lead_unit = doc["unit_id"]
        coop_unit = 1 + (lead_unit + 6) % UNITS
        assigner = 1 + doc["id"] % LEADERS
        specialist = LEADERS + lead_unit + UNITS * (doc["id"] % 3)  # a person of the lead unit
        done = created < now - timedelta(days=30)
        parent_id = next_id
        for unit, role, assignee, parent, assigned_by in (
            (lead_unit, "lead", None, None, assigner),
            (coop_unit, "cooperate", None, None, assigner),
            (lead_unit, "lead", specialist, parent_id, specialist),
        ):
            late = rng.random() < 0.1
            completed = (due + timedelta(days=3)) if late else (created + timedelta(days=5))
            rows.append(
                {
                    "id": next_id,
                    "organisation_id": 1,
                    "document_id": doc["id"],
                    "parent_id": parent,
                    "role": role,
                    "unit_id": unit,
                    "assignee_id": assignee,
                    "assigner_id": assigned_by,
                    "text": "",
                    "deadline": deadline,
                    "original_deadline": deadline,
                    "due_at": due,
                    "state": "completed" if done else "in_progress",
                    "progress": 100 if done else 50,
                    "result": "Đã hoàn thành." if done else "",
                    "created_at": created,
                    "started_at": created,
                    "completed_at": completed if done else None,
                    "updated_at": created,
                    "row_version": 1,
                }
            )
            next_id += 1
    for chunk in chunked(rows):
        with atomic() as s:
            s.execute(insert(Assignment), chunk)
    return len(rows)


def report_targets(port: int, auth: dict[str, str]) -> list[tuple[str, int, str, dict]]:
    """Reports / dashboard endpoints, measured beside search in the same run: the leader's
    dashboard and reports over the whole agency, and a specialist's dashboard."""
    today = datetime.now(UTC).date()
    month = f"from={today - timedelta(days=30)}&to={today}"
    year = f"from={today - timedelta(days=365)}&to={today}"
    specialist = {"Authorization": f"Bearer {login(port, f'u{LEADERS + 1}')}"}
    return [
        ("dashboard (leader)", port, "/api/dashboard", auth),
        ("dashboard (specialist)", port, "/api/dashboard", specialist),
        ("report per unit, 30 days", port, f"/api/reports/processing?{month}", auth),
        ("report per unit, 365 days", port, f"/api/reports/processing?{year}", auth),
        ("report per person, 365 days", port, f"/api/reports/processing?{year}&by=person", auth),
        (
            "report drill-down, overdue",
            port,
            f"/api/reports/processing/documents?{year}&unit_id=1&bucket=in_progress_overdue",
            auth,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    recreate_database(url)
    env = {
        "VAR_DIR": tempfile.mkdtemp(prefix="trinhky-bench-search-"),
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-secret-key-not-used-anywhere-else-0123456789",
        "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "2"),
        "LOGIN_RATE_LIMIT_ACCOUNT": "1000 per minute",
    }
    t0 = time.perf_counter()
    leader = populate(env, args.documents)
    print(
        f"loaded {args.documents:,} documents with search rows and assignments "
        f"in {time.perf_counter() - t0:.0f} s"
    )

    app_port, bare_port = free_port(), free_port()
    quiet = {**env, "PYTHONWARNINGS": "ignore"}
    app_proc = start_gunicorn("backend.app:create_app()", app_port, quiet)
    bare_proc = start_gunicorn("bench.bare_app:app", bare_port, quiet)

    def search_path(q: str, **extra: str) -> str:
        tail = "".join(f"&{k}={v}" for k, v in extra.items())
        return f"/api/search?limit=20&q={quote(q)}{tail}"

    try:
        auth = {"Authorization": f"Bearer {login(app_port, leader)}"}
        targets = [
            ("bare Flask /json (ceiling)", bare_port, "/json", {}),
            ("search common: 'trien khai'", app_port, search_path("trien khai"), auth),
            (
                "search common, 2 words: 'ke hoach dao tao'",
                app_port,
                search_path("ke hoach dao tao"),
                auth,
            ),
            (
                "search rare, PDF text: 'cang hang khong'",
                app_port,
                search_path("cang hang khong"),
                auth,
            ),
            ("search number/symbol: '15/QĐ-S16'", app_port, search_path("15/QĐ-S16"), auth),
            ("search no match: 'xyzw'", app_port, search_path("xyzw"), auth),
            *report_targets(app_port, auth),
        ]
        for _, port, path, headers in targets:
            load(port, path, headers, 20, 1)  # warm-up
        results: dict[str, dict[int, list[dict[str, float]]]] = {
            n: {1: [], 8: []} for n, *_ in targets
        }
        for _ in range(args.rounds):
            for name, port, path, headers in targets:
                for clients in (1, 8):
                    results[name][clients].append(load(port, path, headers, args.requests, clients))
    finally:
        for proc in (app_proc, bare_proc):
            proc.terminate()
            proc.wait(timeout=10)

    print(
        f"\nPostgreSQL, {args.documents:,} documents, gunicorn gthread x{env['WEB_CONCURRENCY']}, "
        f"{args.requests} requests per round, median of {args.rounds} rounds. "
        "1 client = latency as served; 8 = throughput.\n"
    )
    print(
        f"{'endpoint':<44} {'p50 ms':>7} {'p95 ms':>7} {'req/s (1)':>10} {'req/s (8)':>10} "
        f"{'p95 ms (8)':>11} {'vs ceiling':>11} {'errors':>7}"
    )
    ceiling = statistics.median(r["rps"] for r in results[targets[0][0]][8])
    for name, by_clients in results.items():
        one, eight = by_clients[1], by_clients[8]
        med = lambda rows, key: statistics.median(r[key] for r in rows)  # noqa: E731
        errors = sum(r["errors"] for r in one + eight)
        print(
            f"{name:<44} {med(one, 'p50'):>7.2f} {med(one, 'p95'):>7.2f} "
            f"{med(one, 'rps'):>10.0f} {med(eight, 'rps'):>10.0f} {med(eight, 'p95'):>11.2f} "
            f"{med(eight, 'rps') / ceiling:>10.0%} {errors:>7}"
        )
    print("\ntarget: search, dashboard and report p95 ≤ 100 ms (1 client)")


if __name__ == "__main__":
    main()
