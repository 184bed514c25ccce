"""Recipients reached by official e-mail at issuing: the outbox is written in the issue's
transaction, the worker sends it over SMTP (a real server on loopback, parsed here), once
per recipient; the signed PDFs are attached, or linked with an expiring token above the
size limit; Vietnamese subjects and names are encoded correctly; a secret document is
never mailed; the deliveries are the document's per-recipient status."""

from __future__ import annotations

from datetime import timedelta

from backend.core.timeutil import utcnow
from signing.samples import decision
from signing.validation import validate
from tests.conftest import act, count_rows, run_periodic, run_worker
from tests.mail.conftest import deliveries, start_smtp
from tests.signatures.test_issuing_api import _route_to_leader, _sign_and_wait

RECIPIENTS = [
    {"name": "Sở Tài chính tỉnh Nghệ An", "email": "stc@nghean.example"},
    {"name": "Ủy ban nhân dân huyện Nam Đàn", "email": "ubnd.namdan@nghean.example"},
]


def _signed_and_waiting(app, client, world, **meta) -> int:
    document = _route_to_leader(client, world, decision(world["leader"].full_name), **meta)
    return document


def test_issued_document_reaches_its_email_recipients(app, client, world, signing_env, smtp_server):
    leader, clerk = world["leader"], world["clerk"]
    document = _signed_and_waiting(app, client, world)
    _sign_and_wait(app, client, leader, document)
    app.extensions["queue"].flush()
    issued = act(
        client,
        clerk,
        document,
        "issue",
        recipients="Như trên",
        email_recipients=RECIPIENTS,
    )
    assert issued.status_code == 200, issued.json
    number = issued.json["number_symbol"]
    # written with the issue, not yet sent (nothing is sent from inside a request)
    assert [d.state for d in deliveries(app)] == ["pending", "pending"]
    assert smtp_server.received == []
    status = client.get(f"/api/documents/{document}/mail-deliveries", headers=clerk.headers)
    assert [(s["recipient"], s["state"]) for s in status.json] == [
        (RECIPIENTS[0]["name"], "pending"),
        (RECIPIENTS[1]["name"], "pending"),
    ]

    run_worker(app)
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == sorted(
        r["email"] for r in RECIPIENTS
    )
    mail = next(r for r in smtp_server.received if r.rcpt_tos == ["stc@nghean.example"])
    message = mail.message
    assert str(message["Subject"]).startswith(f"{number} ngày ")
    assert message["From"].addresses[0].display_name == "Văn thư UBND tỉnh Nghệ An"
    assert message["To"].addresses[0].display_name == "Sở Tài chính tỉnh Nghệ An"
    assert message["Auto-Submitted"] == "auto-generated"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Kính gửi: Sở Tài chính tỉnh Nghệ An" in text and f"văn bản số {number}" in text
    assert "Sở Tài chính tỉnh Nghệ An" in html and "<li>" in html
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "du-thao.pdf"
    report = validate(attachment.get_content(), [signing_env.pki.trust_root()])
    assert report.ok and len([s for s in report.signatures if s.kind == "signature"]) == 2

    status = client.get(f"/api/documents/{document}/mail-deliveries", headers=clerk.headers).json
    assert [(s["state"], s["delivered_as"], s["channel"]) for s in status] == [
        ("sent", "attachment", "email")
    ] * 2
    assert all(s["sent_at"].endswith("+07:00") for s in status)
    # the register names them as recipients
    year = utcnow().year
    register = client.get(
        f"/api/registers/outgoing?organisation_id={world.org_a}&year={year}",
        headers=clerk.headers,
    )
    assert register.status_code == 200, register.json
    entry = next(e for e in register.json["items"] if e["number_symbol"] == number)
    assert "Như trên" in entry["recipients"] and "Sở Tài chính" in entry["recipients"]

    # once per (message, recipient): more runs and sweeps send nothing again
    run_worker(app)
    run_periodic(app, "sweep")
    assert len(smtp_server.received) == 2
    assert len({r.message["Message-ID"] for r in smtp_server.received}) == 2
    # another agency cannot see the status
    other = client.get(
        f"/api/documents/{document}/mail-deliveries", headers=world["outsider"].headers
    )
    assert other.status_code == 404


def _issue_plain(client, world, document, **body):
    for person, action in (("head", "approve"), ("leader", "approve")):
        assert act(client, world[person], document, action).status_code == 200
    return act(client, world["clerk"], document, "issue", **body)


def _draft(client, world, **meta) -> int:
    from tests.conftest import set_route, standard_route, upload_document

    document = upload_document(client, world["specialist"], **meta).json["id"]
    assert (
        set_route(client, world["specialist"], document, standard_route(world)).status_code == 200
    )
    assert act(client, world["specialist"], document, "submit").status_code == 200
    return document


def test_above_the_size_limit_recipients_get_an_expiring_link(
    app, client, world, smtp_server, monkeypatch, frozen_clock
):
    monkeypatch.setattr(app.extensions["settings"], "mail_attachment_max_mb", 0)
    document = _draft(client, world)
    issued = _issue_plain(client, world, document, email_recipients=RECIPIENTS[:1])
    assert issued.status_code == 200, issued.json
    run_worker(app)
    [mail] = smtp_server.messages()
    assert list(mail.iter_attachments()) == []
    text = mail.get_body(preferencelist=("plain",)).get_content()
    [link] = [line.strip() for line in text.splitlines() if "/api/mail/links/" in line]
    assert link.startswith("https://trinhky.nghean.example/api/mail/links/")
    path = link.removeprefix("https://trinhky.nghean.example")
    files = client.get(f"/api/documents/{document}", headers=world["clerk"].headers).json
    main = next(f for f in files["files"] if f["kind"] == "main")
    got = client.get(path)  # no account needed: the token is the key
    assert got.status_code == 200 and got.mimetype == "application/pdf"
    assert (
        got.data
        == client.get(
            f"/api/documents/{document}/files/{main['id']}", headers=world["clerk"].headers
        ).data
    )
    status = client.get(
        f"/api/documents/{document}/mail-deliveries", headers=world["clerk"].headers
    ).json
    assert status[0]["delivered_as"] == "link"
    assert client.get(path.replace("/links/", "/links/x")).status_code == 404
    assert client.get(path.rsplit("/", 1)[0] + "/999999").status_code == 404
    frozen_clock(utcnow() + timedelta(days=8))
    expired = client.get(path)
    assert expired.status_code == 410 and expired.json["code"] == "link-expired"


def test_a_secret_document_is_never_mailed(app, client, world, smtp_server):
    document = _draft(client, world, secrecy="mat")
    entries = count_rows(app, "register_entries")
    refused = _issue_plain(client, world, document, email_recipients=RECIPIENTS[:1])
    assert refused.status_code == 409 and refused.json["code"] == "secret-not-by-mail"
    assert count_rows(app, "register_entries") == entries  # no number spent
    assert count_rows(app, "mail_messages") == 0
    # without e-mail recipients it is issued as before
    assert act(client, world["clerk"], document, "issue").status_code == 200


def test_without_smtp_configured_email_recipients_are_refused(app, client, world):
    document = _draft(client, world)
    refused = _issue_plain(client, world, document, email_recipients=RECIPIENTS[:1])
    assert refused.status_code == 409 and refused.json["code"] == "mail-not-configured"
    bad = act(
        client,
        world["clerk"],
        document,
        "issue",
        email_recipients=[{"name": "Sở", "email": "không-phải-địa-chỉ"}],
    )
    assert bad.status_code == 422 and "email_recipients" in bad.json["errors"]


def test_vietnamese_headers_without_smtputf8_are_rfc2047_encoded(
    app, client, world, smtp_server, monkeypatch
):
    plain = start_smtp(smtputf8=False)
    try:
        monkeypatch.setattr(app.extensions["settings"], "smtp_port", plain.port)
        document = _draft(client, world, subject="Về việc phòng, chống lụt bão năm 2027")
        assert (
            _issue_plain(client, world, document, email_recipients=RECIPIENTS[:1]).status_code
            == 200
        )
        run_worker(app)
        [received] = plain.received
        raw_headers = received.raw.split(b"\r\n\r\n", 1)[0]
        assert raw_headers.isascii()  # every header encoded
        assert b"=?utf-8?" in raw_headers
        assert "SMTPUTF8" not in [o.upper() for o in received.mail_options]
        message = received.message
        assert "phòng, chống lụt bão năm 2027" in str(message["Subject"])
        assert message["From"].addresses[0].display_name == "Văn thư UBND tỉnh Nghệ An"
    finally:
        plain.controller.stop()

    # a server offering SMTPUTF8 gets the headers as UTF-8
    monkeypatch.setattr(app.extensions["settings"], "smtp_port", smtp_server.port)
    document = _draft(client, world, subject="Về việc phòng, chống hạn hán")
    assert _issue_plain(client, world, document, email_recipients=RECIPIENTS[:1]).status_code == 200
    run_worker(app)
    [received] = smtp_server.received
    assert "SMTPUTF8" in [o.upper() for o in received.mail_options]
    assert "phòng, chống hạn hán".encode() in received.raw.split(b"\r\n\r\n", 1)[0]
    assert "phòng, chống hạn hán" in str(received.message["Subject"])
