"""The morning digest for leaders and heads: at 07:00 Vietnam time on working days, what
waits for them by urgency, overdue work of their units, deadlines today, with links that
open the app at the document; once per person and day; nothing to someone with nothing
waiting, nothing at weekends or on the agency's days off."""

from __future__ import annotations

from tests.assignments.helpers import assign, incoming_for_leader, vn
from tests.conftest import run_periodic, run_worker
from tests.mail.conftest import give_emails
from tests.notifications.test_push import send_to_head

APP = "https://trinhky.nghean.example"
MONDAY = (2026, 12, 7)


def _digests(server) -> dict[str, str]:
    return {
        r.rcpt_tos[0]: r.message.get_body(("plain",)).get_content()
        for r in server.received
        if "tổng hợp công việc" in str(r.message["Subject"])
    }


def test_the_morning_digest(app, client, world, smtp_server, frozen_clock, monkeypatch):
    give_emails(app, world, "leader", "chairman", "head", "head_vx", "specialist")
    frozen_clock(vn(2026, 12, 3))  # Thursday
    incoming = incoming_for_leader(client, world, "Về việc báo cáo kinh tế - xã hội quý IV")
    r = assign(
        client,
        world["leader"],
        incoming,
        (world.units["A.KT"], "2026-12-04"),
        cooperating=[(world.units["A.VX"], "2026-12-07")],
    )
    assert r.status_code == 201, r.json
    urgent = send_to_head(client, world, urgency="hoa_toc", subject="Về việc ứng phó bão số 9")
    due_today = send_to_head(client, world, due_date="2026-12-07", subject="Về việc kiểm kê")
    run_worker(app)
    smtp_server.received.clear()  # the notifications' own e-mails (no push subscriptions)

    frozen_clock(vn(*MONDAY, hour=6).replace(minute=55))
    assert run_periodic(app, "digests") == 0  # not before 07:00
    frozen_clock(vn(*MONDAY, hour=7).replace(minute=5))
    assert run_periodic(app, "digests") == 3
    run_worker(app)
    digests = _digests(smtp_server)
    assert set(digests) == {
        "head@nghean.example",
        "head.vx@nghean.example",
        "leader@nghean.example",
    }  # the chairman has nothing waiting; the specialist is neither leader nor head
    [head_mail] = [r.message for r in smtp_server.received if r.rcpt_tos == ["head@nghean.example"]]
    assert str(head_mail["Subject"]) == "Trình Ký: tổng hợp công việc ngày 07/12/2026"
    head = digests["head@nghean.example"]
    hoa_toc = head.index("Chờ anh/chị xử lý — Hỏa tốc (1)")
    # the kiểm kê draft, and the incoming document the unit was assigned (issue 14)
    normal = head.index("Chờ anh/chị xử lý — Thường (2)")
    assert hoa_toc < normal  # most urgent first
    assert head.index("ứng phó bão số 9") < normal < head.index("kiểm kê")
    assert f"{APP}/documents/{urgent}" in head and f"{APP}/documents/{due_today}" in head
    assert "Việc quá hạn của đơn vị (1)" in head and "hạn 04/12/2026" in head
    assert f"{APP}/documents/{incoming}" in head
    assert "Đến hạn hôm nay (1)" in head and "kiểm kê — hạn hôm nay" in head
    vx = digests["head.vx@nghean.example"]
    assert "Đến hạn hôm nay (1)" in vx and "việc được giao, hạn hôm nay" in vx
    assert "quá hạn" not in vx.split("Đến hạn hôm nay")[0]
    leader = digests["leader@nghean.example"]
    assert "Việc anh/chị giao đã quá hạn (1)" in leader
    html = head_mail.get_body(("html",)).get_content()
    assert f'<a href="{APP}/documents/{urgent}">' in html

    # once a day: the quarter-hour runs after it write nothing
    frozen_clock(vn(*MONDAY, hour=7).replace(minute=20))
    assert run_periodic(app, "digests") == 0
    # Saturday, and a day off the agency lists (Tết), get none
    frozen_clock(vn(2026, 12, 12, hour=7))
    assert run_periodic(app, "digests") == 0
    monkeypatch.setattr(app.extensions["settings"], "non_working_days", "2026-12-08, 2027-02-16")
    frozen_clock(vn(2026, 12, 8, hour=7))
    assert run_periodic(app, "digests") == 0
    # a person who turned it off
    r = client.put(
        "/api/me/mail-preferences", json={"digest": False}, headers=world["head"].headers
    )
    assert r.status_code == 200 and r.json["digest"] is False
    frozen_clock(vn(2026, 12, 9, hour=7))
    assert run_periodic(app, "digests") == 2  # the head_vx and the leader
