"""Word conversion and the mail outbox.

1. A 2-page and a 30-page Vietnamese .docx (Nghị định 30 layout, Times New Roman)
   converted to PDF by the product's warm converter (unoserver + LibreOffice, started
   once) beside a cold ``soffice --headless --convert-to pdf`` per file (the usual way),
   in the same run: medians of several conversions and the ratio.
   Targets: warm ≤ 1 s for 2 pages, and ≥ 3× faster than cold.
2. 1,000 outbox messages (Vietnamese subject and names, text + HTML) sent by the worker's
   delivery path to a local SMTP server in its own process (aiosmtpd), by two delivery
   threads at once (the queued task and the sweep racing): messages/s, lost and duplicated
   (by Message-ID at the server); beside a bare smtplib loop over one connection (the
   ceiling of SMTP on this machine).

    .venv/bin/python bench/convert_mail.py [--runs 5] [--messages 1000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SOFFICE = "/usr/bin/soffice"
ARTICLES = {2: 6, 30: 208}  # Điều … in the decision: 2 and 30 A4 pages


def _pages(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


def bench_conversion(work: Path, runs: int) -> None:
    from backend.conversion.converter import ConverterPool
    from backend.conversion.templates import decision_docx

    files = {}
    for pages, articles in ARTICLES.items():
        path = work / f"quyet-dinh-{pages}-trang.docx"
        path.write_bytes(
            decision_docx("Lê Thị Hồng Hạnh", "phê duyệt kế hoạch chuyển đổi số", articles=articles)
        )
        files[pages] = path

    pool = ConverterPool(
        1, work / "convert", uno_python="/usr/bin/python3", soffice=SOFFICE, time_limit=120
    )
    started = time.perf_counter()
    pool.start()
    print(f"warm converter started in {time.perf_counter() - started:.1f} s (once per worker)")
    profile = work / "cold-profile"
    cold_env = f"-env:UserInstallation=file://{profile}"
    # the cold command's profile is created beforehand: its creation is not counted
    subprocess.run(
        [
            SOFFICE,
            cold_env,
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work / "x"),
            str(files[2]),
        ],
        capture_output=True,
        check=True,
    )
    print(f"\n{'document':<14}{'pages':>6}{'warm median':>13}{'cold median':>13}{'cold/warm':>11}")
    try:
        for pages, path in files.items():
            out = work / f"warm-{pages}.pdf"
            pool.convert(path, out)  # the first conversion of a kind loads its filters
            warm = []
            for _ in range(runs):
                t = time.perf_counter()
                pool.convert(path, out)
                warm.append(time.perf_counter() - t)
            got = _pages(out)
            cold = []
            for i in range(runs):
                outdir = work / f"cold-{pages}-{i}"
                t = time.perf_counter()
                subprocess.run(
                    [
                        SOFFICE,
                        cold_env,
                        "--headless",
                        "--convert-to",
                        "pdf",
                        "--outdir",
                        str(outdir),
                        str(path),
                    ],
                    capture_output=True,
                    check=True,
                )
                cold.append(time.perf_counter() - t)
                assert (outdir / (path.stem + ".pdf")).exists()
            w, c = statistics.median(warm), statistics.median(cold)
            print(f"{path.stem[:13]:<14}{got:>6}{w:>12.2f}s{c:>12.2f}s{c / w:>10.1f}×")
            print(
                f"{'':<20}warm runs {min(warm):.2f}–{max(warm):.2f} s, "
                f"cold runs {min(cold):.2f}–{max(cold):.2f} s"
            )
    finally:
        pool.stop()


# -- mail --------------------------------------------------------------------------------------


def serve_smtp(ports: multiprocessing.Queue, commands: multiprocessing.Queue) -> None:
    """The SMTP server, in its own process: counts messages and distinct Message-IDs."""
    import re

    from aiosmtpd.controller import Controller

    ids: list[bytes] = []
    message_id = re.compile(rb"^Message-ID: *(<[^>]+>)", re.MULTILINE | re.IGNORECASE)

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            found = message_id.search(envelope.original_content)
            ids.append(found.group(1) if found else b"")
            return "250 OK"

    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    controller.start()
    ports.put(port)
    while True:
        command = commands.get()
        if command == "stats":
            ports.put((len(ids), len(set(ids))))
        elif command == "reset":
            ids.clear()
            ports.put("ok")
        else:
            controller.stop()
            return


def bench_mail(work: Path, messages: int) -> None:
    from backend.app import create_app
    from backend.core.db import atomic
    from backend.mail import service
    from backend.migrate import upgrade

    ports: multiprocessing.Queue = multiprocessing.Queue()
    commands: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve_smtp, args=(ports, commands), daemon=True)
    server.start()
    port = ports.get(timeout=30)
    url = f"sqlite:///{work / 'mail.db'}"
    upgrade(url)
    app = create_app(
        {
            "var_dir": str(work / "var"),
            "database_url": url,
            "secret_key": "bench-secret-key-that-is-long-enough-0123456789",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "mail_sink": False,
            "mail_from": "vanthu@nghean.example",
            "mail_from_name": "Văn thư UBND tỉnh Nghệ An",
            "log_json": False,
        }
    )
    subject = "Thông báo: Về việc tổ chức Hội nghị tổng kết công tác năm 2026"
    from backend.mail.templates import Section, render

    with app.app_context():
        started = time.perf_counter()
        for start in range(0, messages, 100):
            with atomic():
                for i in range(start, min(start + 100, messages)):
                    text, html = render(
                        f"Kính gửi Trưởng phòng số {i},",
                        "Anh/chị có văn bản mới cần xử lý trên Trình Ký:",
                        [Section("", [(subject, f"https://trinhky.nghean.example/documents/{i}")])],
                    )
                    service.write(
                        kind="notification",
                        dedupe_key=f"bench:{i}",
                        subject=subject,
                        text=text,
                        html=html,
                        recipients=[
                            service.Recipient(
                                f"truongphong{i}@nghean.example", f"Trưởng phòng Nguyễn Văn {i}"
                            )
                        ],
                    )
        written = time.perf_counter() - started
        # drop the queued tasks: the two threads below are the delivery
        app.extensions["queue"].flush()

        sent_counts: list[int] = []

        def deliver() -> None:
            with app.app_context():
                sent_counts.append(service.deliver())

        started = time.perf_counter()
        threads = [threading.Thread(target=deliver) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        commands.put("stats")
        received, distinct = ports.get(timeout=30)
        from sqlalchemy import func, select

        from backend.core.db import session
        from backend.mail.models import MailDelivery

        states = dict(
            session()
            .execute(select(MailDelivery.state, func.count()).group_by(MailDelivery.state))
            .all()
        )
        # the ceiling: the same number of ready-made messages over one smtplib connection
        import smtplib
        from email.policy import SMTPUTF8

        from backend.mail import smtp

        prepared = [
            smtp.compose(
                sender=("Văn thư UBND tỉnh Nghệ An", "vanthu@nghean.example"),
                recipient=(f"Trưởng phòng Nguyễn Văn {i}", f"truongphong{i}@nghean.example"),
                subject=subject,
                text="Anh/chị có văn bản mới cần xử lý.",
                html="<p>Anh/chị có văn bản mới cần xử lý.</p>",
                message_id=f"<baseline.{i}@nghean.example>",
            ).as_bytes(policy=SMTPUTF8)
            for i in range(messages)
        ]
        commands.put("reset")
        ports.get(timeout=30)
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as raw:
            for i, data in enumerate(prepared):
                raw.sendmail(
                    "vanthu@nghean.example",
                    [f"truongphong{i}@nghean.example"],
                    data,
                    mail_options=["SMTPUTF8", "BODY=8BITMIME"],
                )
        baseline = time.perf_counter() - started
    commands.put("stop")
    server.join(timeout=10)
    print(
        f"\noutbox: {messages} messages written in {written:.2f} s "
        f"({messages / written:.0f}/s, 100 per transaction)"
    )
    print(
        f"delivery (2 threads racing): {elapsed:.2f} s = {messages / elapsed:.0f} messages/s; "
        f"server received {received}, distinct Message-IDs {distinct}: "
        f"lost {messages - distinct}, duplicated {received - distinct}; states {states}; "
        f"accepted as counted by the senders {sum(sent_counts)}"
    )
    print(
        f"baseline bare smtplib, one connection: {baseline:.2f} s = "
        f"{messages / baseline:.0f} messages/s (product at "
        f"{(messages / elapsed) / (messages / baseline):.0%} of it)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--skip-conversion", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="trinhky-bench-"))
    try:
        if not args.skip_conversion:
            bench_conversion(work, args.runs)
        bench_mail(work, args.messages)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
