"""The outbox's delivery: retries with backoff on temporary answers and a server that is
down, failure at once on a permanent refusal, visible to the admin who can send it again;
STARTTLS with the server's certificate checked and a login; implicit TLS."""

from __future__ import annotations

import ipaddress
import ssl
from datetime import UTC, datetime, timedelta

from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from backend.core.timeutil import utcnow
from tests.conftest import run_periodic, run_worker
from tests.mail.conftest import deliveries, start_smtp
from tests.mail.test_issued_by_mail import RECIPIENTS, _draft, _issue_plain


def _issue_by_mail(client, world, recipients=RECIPIENTS[:1]) -> int:
    document = _draft(client, world)
    r = _issue_plain(client, world, document, email_recipients=recipients)
    assert r.status_code == 200, r.json
    return document


def test_temporary_refusals_are_retried_with_backoff(
    app, client, world, smtp_server, frozen_clock, monkeypatch
):
    now = utcnow()
    frozen_clock(now)
    smtp_server.scripted = ["451 4.3.0 Hệ thống bận, thử lại sau", "421 4.7.0 Try again later"]
    _issue_by_mail(client, world)
    run_worker(app)
    [delivery] = deliveries(app)
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert delivery.last_error.startswith("451")
    assert delivery.next_attempt_at == now + timedelta(seconds=60)
    run_periodic(app, "sweep")  # not due yet: nothing happens
    assert deliveries(app)[0].attempts == 1
    frozen_clock(now + timedelta(seconds=61))
    run_periodic(app, "sweep")
    [delivery] = deliveries(app)
    assert (delivery.state, delivery.attempts) == ("pending", 2)
    assert delivery.next_attempt_at == now + timedelta(seconds=61 + 120)  # doubled
    frozen_clock(now + timedelta(seconds=200))
    run_periodic(app, "sweep")
    [delivery] = deliveries(app)
    assert (delivery.state, delivery.attempts, delivery.sent_at) == ("sent", 3, utcnow())
    assert len(smtp_server.received) == 1


def test_a_server_that_is_down_is_retried_then_reached(
    app, client, world, smtp_server, frozen_clock, monkeypatch
):
    now = utcnow()
    frozen_clock(now)
    from tests.mail.conftest import free_port

    monkeypatch.setattr(app.extensions["settings"], "smtp_port", free_port())  # nobody there
    _issue_by_mail(client, world, RECIPIENTS)
    run_worker(app)
    assert [(d.state, d.attempts) for d in deliveries(app)] == [("pending", 1)] * 2
    assert "Connection refused" in deliveries(app)[0].last_error
    monkeypatch.setattr(app.extensions["settings"], "smtp_port", smtp_server.port)
    frozen_clock(now + timedelta(minutes=2))
    run_periodic(app, "sweep")
    assert [d.state for d in deliveries(app)] == ["sent", "sent"]
    assert len(smtp_server.received) == 2


def test_what_keeps_failing_is_shown_to_the_admin_who_can_resend_it(
    app, client, world, smtp_server, frozen_clock, monkeypatch
):
    now = utcnow()
    frozen_clock(now)
    monkeypatch.setattr(app.extensions["settings"], "mail_max_attempts", 2)
    smtp_server.scripted = ["550 5.1.1 Hộp thư không tồn tại"]
    document = _issue_by_mail(client, world, RECIPIENTS)
    smtp_server.scripted.append("452 4.2.2 Mailbox full")
    run_worker(app)
    states = {d.address: d for d in deliveries(app)}
    refused = states[RECIPIENTS[0]["email"]]
    assert (refused.state, refused.attempts) == ("failed", 1)  # a permanent answer: at once
    frozen_clock(now + timedelta(minutes=5))
    smtp_server.scripted.append("452 4.2.2 Mailbox full")
    run_periodic(app, "sweep")
    full = {d.address: d for d in deliveries(app)}[RECIPIENTS[1]["email"]]
    assert (full.state, full.attempts) == ("failed", 2)  # out of attempts

    admin = world["admin"]
    listed = client.get(
        f"/api/mail/deliveries?organisation_id={world.org_a}&state=failed", headers=admin.headers
    )
    assert listed.status_code == 200, listed.json
    rows = {r["address"]: r for r in listed.json["items"]}
    assert rows[RECIPIENTS[0]["email"]]["last_error"].startswith("550 5.1.1")
    assert rows[RECIPIENTS[1]["email"]]["last_error"].startswith("452")
    assert rows[RECIPIENTS[0]["email"]]["document_id"] == document
    assert rows[RECIPIENTS[0]["email"]]["kind"] == "issued"
    for person, status in (("clerk", 403), ("outsider_admin", 404)):
        r = client.get(
            f"/api/mail/deliveries?organisation_id={world.org_a}", headers=world[person].headers
        )
        assert r.status_code == status
    status = client.get(f"/api/documents/{document}/mail-deliveries", headers=admin.headers)
    assert status.status_code == 404  # the admin does not see the document itself
    status = client.get(
        f"/api/documents/{document}/mail-deliveries", headers=world["clerk"].headers
    ).json
    assert [s["state"] for s in status] == ["failed", "failed"]

    # the address was fixed on the other side: the admin sends it again, once
    retry = client.post(
        f"/api/mail/deliveries/{refused.id}/retry",
        headers={**admin.headers, "Idempotency-Key": "gui-lai-1"},
    )
    assert retry.status_code == 200 and retry.json["state"] == "pending"
    again = client.post(
        f"/api/mail/deliveries/{refused.id}/retry",
        headers={**admin.headers, "Idempotency-Key": "gui-lai-1"},
    )
    assert again.headers["Idempotent-Replayed"] == "true"
    run_worker(app)
    assert {d.address: d.state for d in deliveries(app)}[RECIPIENTS[0]["email"]] == "sent"
    not_failed = client.post(f"/api/mail/deliveries/{refused.id}/retry", headers=admin.headers)
    assert not_failed.status_code == 422 and not_failed.json["code"] == "not-failed"
    assert (
        client.post(
            f"/api/mail/deliveries/{refused.id}/retry", headers=world["clerk"].headers
        ).status_code
        == 403
    )


def _certificate(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail.nghean.example")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime.now(UTC) - timedelta(days=1))
        .not_valid_after(datetime.now(UTC) + timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "smtp.pem", tmp_path / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return cert_path, context


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"vanthu@nghean.example",
        b"Thu-cong-vu-2026",
    )
    return AuthResult(success=ok, handled=False)


def test_starttls_with_the_certificate_checked_and_a_login(
    app, client, world, smtp_server, tmp_path, monkeypatch, frozen_clock
):
    cert, context = _certificate(tmp_path)
    secure = start_smtp(
        tls_context=context,
        require_starttls=True,
        authenticator=_authenticator,
        auth_required=True,
        auth_require_tls=True,
    )
    settings = app.extensions["settings"]
    try:
        for name, value in {
            "smtp_port": secure.port,
            "smtp_security": "starttls",
            "smtp_user": "vanthu@nghean.example",
            "smtp_password": "sai-mat-khau",
        }.items():
            monkeypatch.setattr(settings, name, value)
        now = utcnow()
        frozen_clock(now)
        _issue_by_mail(client, world)
        run_worker(app)  # the certificate is not trusted yet
        [d] = deliveries(app)
        assert d.state == "pending" and "CERTIFICATE_VERIFY_FAILED" in d.last_error
        monkeypatch.setattr(settings, "smtp_ca_file", str(cert))
        frozen_clock(now + timedelta(minutes=2))
        run_periodic(app, "sweep")  # trusted now, but the password is wrong
        [d] = deliveries(app)
        assert d.state == "pending" and "SMTPAuthenticationError" in d.last_error
        monkeypatch.setattr(settings, "smtp_password", "Thu-cong-vu-2026")
        frozen_clock(now + timedelta(minutes=10))
        run_periodic(app, "sweep")
        assert [d.state for d in deliveries(app)] == ["sent"]
        assert len(secure.received) == 1
    finally:
        secure.controller.stop()


def test_implicit_tls(app, client, world, smtp_server, tmp_path, monkeypatch):
    from aiosmtpd.controller import Controller

    from tests.mail.conftest import SmtpServer, free_port

    cert, context = _certificate(tmp_path)
    server = SmtpServer(port=free_port())
    server.controller = Controller(
        server, hostname="127.0.0.1", port=server.port, ssl_context=context
    )
    server.controller.start()
    settings = app.extensions["settings"]
    try:
        monkeypatch.setattr(settings, "smtp_port", server.port)
        monkeypatch.setattr(settings, "smtp_security", "ssl")
        monkeypatch.setattr(settings, "smtp_ca_file", str(cert))
        _issue_by_mail(client, world)
        run_worker(app)
        assert [d.state for d in deliveries(app)] == ["sent"]
        assert len(server.received) == 1
    finally:
        server.controller.stop()
