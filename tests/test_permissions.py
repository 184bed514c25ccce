"""Every endpoint × every role × a user of another organisation: who may do what, and
that nobody learns about what they may not see (404 rather than 403 for hidden things)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from backend.signatures import runtime
from tests.conftest import TEST_PASSWORD, act, make_pdf, set_route, standard_route, upload_document
from tests.signatures.conftest import pem_chain
from tests.signing.conftest import PKIEnv, pki_env  # noqa: F401 - the test PKI (session)

ROLES = ["leader", "head", "specialist", "clerk", "admin", "outsider"]
PUBLIC = {
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/refresh"),
    # an e-mailed download link: the token is the key (tests/mail)
    ("GET", "/api/mail/links/<string:token>/files/<int:file_id>"),
}


@dataclass
class Case:
    method: str
    path: str
    expected: dict[str, int]  # role -> status
    body: str = "none"  # none | json:<name> | upload | version


SUBSCRIPTION = {
    "endpoint": "https://push.example.test/send/abc123",
    "keys": {"p256dh": "B" + "A" * 86, "auth": "c2VjcmV0LWF1dGgtMTY"},
}


def in_30_days() -> str:
    return (datetime.now(UTC) + timedelta(days=30)).isoformat()


def vn_day(days: int) -> str:
    """A date ``days`` from today, Vietnam time (assignment deadlines are dates)."""
    from backend.core.timeutil import VN_TZ

    return (datetime.now(VN_TZ).date() + timedelta(days=days)).isoformat()


def everyone(status: int, **overrides: int) -> dict[str, int]:
    return {role: overrides.get(role, status) for role in ROLES}


def _exchange_objects(app, client, world) -> dict[str, Any]:
    """An issued document sent to Hà Tĩnh (an organisation of the same installation), a
    document received over the axis waiting in the clerk's queue, and a recall request."""
    from datetime import date

    from backend.core.db import atomic
    from backend.documents.service import _insert_blob_if_missing, blob_store
    from backend.exchange import directory, edxml, receiving
    from backend.exchange.models import (
        ChangeRequest,
        DirectoryEntry,
        InboundMessage,
        ReceivedDocument,
    )

    with app.app_context():
        directory.sync_installation()
        with atomic() as s:
            h40 = s.query(DirectoryEntry).filter_by(code="000.00.00.H40").one().id
            entry = DirectoryEntry(code="000.00.00.G09", name="Bộ Nội vụ", reach="axis")
            s.add(entry)
            s.flush()
            entry_id = entry.id
    sent = upload_document(client, world["specialist"]).json["id"]
    set_route(client, world["specialist"], sent, standard_route(world))
    act(client, world["specialist"], sent, "submit")
    act(client, world["head"], sent, "approve")
    act(client, world["leader"], sent, "approve")
    issued = act(client, world["clerk"], sent, "issue", send_to=[{"directory_id": h40}])
    assert issued.status_code == 200, issued.json
    delivery = client.get(f"/api/documents/{sent}/deliveries", headers=world["clerk"].headers)
    package = edxml.build_edoc(
        edxml.Edoc(
            sender=edxml.Organ(organ_id="000.00.00.G09", organ_name="Bộ Nội vụ"),
            recipients=[edxml.Organ(organ_id="000.00.00.H41")],
            document_id="000.00.00.G09,2026/11/20,15/BNV-VP",
            code_number="15",
            code_notation="BNV-VP",
            promulgation_date=date(2026, 11, 20),
            subject="Về việc báo cáo biên chế năm 2027",
            attachments=[edxml.Attachment("cid:1", "15.pdf", "application/pdf", make_pdf())],
        )
    )
    with app.app_context():
        sha = blob_store().put_bytes(package)
        with atomic() as s:
            _insert_blob_if_missing(sha, len(package))
            s.add(
                InboundMessage(
                    transport="vxp",
                    remote_id="perm-1",
                    message_type="edoc",
                    from_code="000.00.00.G09",
                    to_code="000.00.00.H41",
                    blob_sha256=sha,
                    size=len(package),
                )
            )
        assert receiving.ingest_pending()["accepted"] == 1
        with atomic() as s:
            received = s.query(ReceivedDocument).filter_by(sender_code="000.00.00.G09").one().id
            change = ChangeRequest(
                organisation_id=world.org_a, received_id=received, kind="recall", reason="Sai số"
            )
            s.add(change)
            s.flush()
            change_id = change.id
    return {
        "entry": entry_id,
        "sent": sent,
        "out_delivery": delivery.json[0]["id"],
        "received": received,
        "change": change_id,
    }


@pytest.fixture
def trusted_keys(app, pki_env: PKIEnv, monkeypatch, tmp_path) -> PKIEnv:  # noqa: F811
    """Keys and chains of the test PKI, its root trusted: registering a credential checks
    both (organisation A still records signing decisions without digital signatures)."""
    from asn1crypto import pem

    settings = app.extensions["settings"]
    root = tmp_path / "root.pem"
    root.write_bytes(pem.armor("CERTIFICATE", pki_env.pki.trust_root().dump()))
    monkeypatch.setattr(settings, "dev_pki", False)
    monkeypatch.setattr(settings, "signing_pki_dir", str(pki_env.pki.directory))
    monkeypatch.setattr(settings, "signing_trust_roots", str(root))
    runtime.reset_providers()
    return pki_env


@pytest.fixture
def objects(app, client, world, trusted_keys) -> dict[str, Any]:
    draft = upload_document(client, world["specialist"]).json
    secret = upload_document(client, world["specialist"], secrecy="toi_mat").json
    # on its route, waiting for the head of Phòng Kinh tế
    routed = upload_document(client, world["specialist"]).json["id"]
    assert set_route(client, world["specialist"], routed, standard_route(world)).status_code == 200
    assert act(client, world["specialist"], routed, "submit").status_code == 200
    incoming = upload_document(client, world["clerk"], direction="incoming").json["id"]
    template = client.post(
        "/api/route-templates",
        json={"organisation_id": world.org_a, "name": "Mẫu", "steps": standard_route(world)},
        headers=world["admin"].headers,
    ).json["id"]
    phrase = client.post(
        "/api/me/quick-phrases", json={"text": "Đồng ý."}, headers=world["leader"].headers
    ).json["id"]
    notification = client.get("/api/notifications", headers=world["head"].headers).json
    delegation = client.post(
        "/api/delegations",
        json={
            "organisation_id": world.org_a,
            "deputy_id": world["head"].id,
            "ends_at": in_30_days(),
        },
        headers=world["leader"].headers,
    ).json["id"]
    subscription = client.post(
        "/api/push/subscriptions", json=SUBSCRIPTION, headers=world["leader"].headers
    ).json["id"]
    webhook = client.post(
        "/api/webhooks",
        json={
            "organisation_id": world.org_a,
            "url": "https://cong-dich-vu-cong.example.vn/hook",
            "events": ["document.submitted"],
        },
        headers=world["admin"].headers,
    ).json["id"]
    hooked = upload_document(client, world["specialist"]).json["id"]
    set_route(client, world["specialist"], hooked, standard_route(world))
    act(client, world["specialist"], hooked, "submit")
    deliveries = client.get(f"/api/webhooks/{webhook}/deliveries", headers=world["admin"].headers)
    event = client.post(
        "/api/calendar/events",
        json={
            "title": "Họp giao ban",
            "starts_at": "2026-11-23T08:00:00+07:00",
            "ends_at": "2026-11-23T10:00:00+07:00",
            "participant_ids": [world["leader"].id],
        },
        headers=world["clerk"].headers,
    ).json["id"]
    credential = client.post(
        "/api/signing-credentials",
        json={
            "organisation_id": world.org_a,
            "purpose": "seal",
            "provider": "pkcs12",
            "credential_ref": "seal.key.pem",
            "certificate": pem_chain(trusted_keys, "seal"),
        },
        headers=world["admin"].headers,
    ).json["id"]
    # phiếu giải quyết: KT leads (the head gave a part to the specialist, who asked for more
    # time), VX is kept informed; a second registered document waits for the leader
    assigned, fresh = (
        upload_document(client, world["clerk"], direction="incoming").json["id"] for _ in range(2)
    )
    for n, doc in enumerate((assigned, fresh)):
        r = act(
            client,
            world["clerk"],
            doc,
            "register-incoming",
            sender_name="Bộ Tài chính",
            number_symbol=f"{n + 1}/BTC-NSNN",
            document_date="2026-11-20",
        )
        assert r.status_code == 200
        act(client, world["clerk"], doc, "participants", user_id=world["leader"].id)
    tree = client.post(
        f"/api/documents/{assigned}/assignments",
        json={
            "text": "Giao Phòng Kinh tế chủ trì.",
            "lead": {"unit_id": world.units["A.KT"], "deadline": vn_day(30)},
            "fyi": [{"unit_id": world.units["A.VX"]}],
        },
        headers={**world["leader"].headers, "If-Match": "*"},
    ).json
    lead = next(a["id"] for a in tree["assignments"] if a["role"] == "lead")
    fyi = next(a["id"] for a in tree["assignments"] if a["role"] == "fyi")
    child = client.post(
        f"/api/assignments/{lead}/sub-assignments",
        json={"items": [{"assignee_id": world["specialist"].id, "deadline": vn_day(20)}]},
        headers=world["head"].headers,
    ).json[0]["id"]
    extension = client.post(
        f"/api/assignments/{child}/extensions",
        json={"deadline": vn_day(25), "reason": "Chờ số liệu."},
        headers=world["specialist"].headers,
    ).json["extensions"][0]["id"]
    progress = client.post(
        f"/api/assignments/{child}/progress",
        json={"percent": 20, "note": "Đang tổng hợp."},
        headers=world["specialist"].headers,
    ).json["progress_reports"][0]["id"]
    progress_file = client.post(
        f"/api/assignments/{child}/progress/{progress}/files",
        data={"files": [(io.BytesIO(make_pdf()), "bang-so-lieu.pdf")]},
        headers=world["specialist"].headers,
        content_type="multipart/form-data",
    ).json["progress_reports"][0]["files"][0]["id"]
    exchange = _exchange_objects(app, client, world)
    return {
        **exchange,
        "asg_progress": progress,
        "asg_file": progress_file,
        "asg_doc": assigned,
        "asg_fresh": fresh,
        "asg_lead": lead,
        "asg_fyi": fyi,
        "asg_child": child,
        "asg_ext": extension,
        "credential": credential,
        "pki": trusted_keys,
        "signing_request": 999_999,
        "passkey": 999_999,  # another person's passkey looks the same: 404
        "subscription": subscription,
        "webhook": webhook,
        "delivery": deliveries.json["items"][0]["id"],
        "event": event,
        "org": world.org_a,
        "user": world["specialist_vx"].id,
        "unit": world.units["A.VX"],
        "doc": draft["id"],
        "file": draft["files"][0]["id"],
        "secret": secret["id"],
        "leader_device": world["leader"].device_id,
        "routed": routed,
        "incoming": incoming,
        "template": template,
        "phrase": phrase,
        "notification": notification["items"][0]["id"],
        "delegation": delegation,
        "page": 1,
        "out": "outgoing",
        "inc": "incoming",
        "mail_delivery": 999_999,  # no mail in this world (tests/mail sends it)
        "sink_message": "20261203T000000-000000000000.eml",
        "link_token": "khong-co-lien-ket",
    }


CASES = [
    Case("GET", "/api/me", everyone(200)),
    Case("GET", "/api/auth/devices", everyone(200)),
    Case("DELETE", "/api/auth/devices/{leader_device}", everyone(404, leader=204)),
    Case("GET", "/api/organisations", everyone(200)),
    Case("GET", "/api/organisations/{org}", everyone(200, outsider=404)),
    Case("GET", "/api/organisations/{org}/units", everyone(200, outsider=404)),
    Case(
        "POST",
        "/api/organisations/{org}/units",
        everyone(403, admin=201, outsider=404),
        "json:unit",
    ),
    Case(
        "PATCH",
        "/api/organisations/{org}/units/{unit}",
        everyone(403, admin=200, outsider=404),
        "json:unit_patch",
    ),
    Case("GET", "/api/organisations/{org}/users", everyone(200, outsider=404)),
    Case(
        "POST",
        "/api/organisations/{org}/users",
        everyone(403, admin=201, outsider=404),
        "json:user",
    ),
    Case("GET", "/api/users/{user}", everyone(200, outsider=404)),
    Case("PATCH", "/api/users/{user}", everyone(403, admin=200, outsider=404), "json:user_patch"),
    Case("GET", "/api/document-types", everyone(200)),
    Case(
        "POST",
        "/api/documents",
        everyone(201, admin=403, outsider=404),
        "upload",
    ),
    Case("GET", "/api/documents", everyone(200)),
    # The draft of a specialist of Phòng Kinh tế: the drafter and the unit's head see it.
    Case("GET", "/api/documents/{doc}", everyone(404, specialist=200, head=200)),
    Case("GET", "/api/documents/{secret}", everyone(404, specialist=200)),
    Case(
        "PATCH",
        "/api/documents/{doc}",
        everyone(404, specialist=200, head=403),
        "json:doc_patch",
    ),
    Case("GET", "/api/documents/{doc}/versions", everyone(404, specialist=200, head=200)),
    Case(
        "POST",
        "/api/documents/{doc}/versions",
        everyone(404, specialist=201, head=403),
        "version",
    ),
    Case(
        "POST",
        "/api/documents/{doc}/participants",
        everyone(404, specialist=201, head=403),
        "json:participant",
    ),
    Case("GET", "/api/documents/{doc}/files/{file}", everyone(404, specialist=200, head=200)),
    Case(
        "GET",
        "/api/documents/{doc}/files/{file}/pages/{page}",
        everyone(404, specialist=200, head=200),
    ),
    Case("GET", "/api/audit-events?organisation_id={org}", everyone(403, admin=200, outsider=404)),
    Case(
        "GET",
        "/api/audit-events/verify?organisation_id={org}",
        everyone(403, admin=200, outsider=404),
    ),
    # -- workflow: the routed document waits for the head of KT --
    Case("GET", "/api/documents/{routed}/route", everyone(404, specialist=200, head=200)),
    Case(
        "PUT", "/api/documents/{doc}/route", everyone(404, specialist=200, head=403), "json:route"
    ),
    Case("POST", "/api/documents/{routed}/submit", everyone(404, specialist=409, head=403)),
    Case("POST", "/api/documents/{routed}/approve", everyone(404, head=200, specialist=403)),
    Case(
        "POST",
        "/api/documents/{routed}/return",
        # after the head returned it, the draft is the drafter's again: 409, not yours
        everyone(404, head=200, specialist=409),
        "json:return",
    ),
    Case(
        "POST",
        "/api/documents/{routed}/forward",
        everyone(404, head=200, specialist=403),
        "json:forward",
    ),
    Case("POST", "/api/documents/{routed}/withdraw", everyone(404, head=403, specialist=200)),
    Case(
        "POST",
        "/api/documents/{routed}/reply",
        everyone(404, head=409, specialist=403),
        "json:reply",
    ),
    Case("POST", "/api/documents/{routed}/issue", everyone(404, head=409, specialist=403)),
    Case("GET", "/api/documents/{routed}/issue-preview", everyone(404, head=409, specialist=403)),
    Case(
        "POST",
        "/api/documents/{incoming}/register-incoming",
        everyone(404, clerk=200),
        "json:incoming",
    ),
    Case(
        "POST",
        "/api/documents/{routed}/instructions",
        everyone(404, head=201, specialist=403),
        "json:instruction",
    ),
    Case("GET", "/api/documents/{routed}/timeline", everyone(404, specialist=200, head=200)),
    Case("GET", "/api/route-templates", everyone(200)),
    Case(
        "POST",
        "/api/route-templates",
        everyone(403, leader=201, head=201, admin=201, outsider=404),
        "json:template",
    ),
    Case("DELETE", "/api/route-templates/{template}", everyone(404, leader=204)),
    Case("GET", "/api/me/quick-phrases", everyone(200)),
    Case("POST", "/api/me/quick-phrases", everyone(201), "json:phrase"),
    Case("PUT", "/api/me/quick-phrases", everyone(200), "json:phrase_order"),
    Case("DELETE", "/api/me/quick-phrases/{phrase}", everyone(404, leader=204)),
    Case("GET", "/api/inbox/waiting", everyone(200)),
    Case("GET", "/api/inbox/submitted", everyone(200)),
    Case("GET", "/api/inbox/done", everyone(200)),
    Case("GET", "/api/inbox/following", everyone(200)),
    Case("GET", "/api/inbox/counts", everyone(200)),
    Case(
        "GET",
        "/api/registers/{out}?organisation_id={org}&year=2026",
        everyone(403, leader=200, clerk=200, admin=200, outsider=404),
    ),
    Case(
        "GET",
        "/api/registers/{inc}/export.csv?organisation_id={org}&year=2026",
        everyone(403, leader=200, clerk=200, admin=200, outsider=404),
    ),
    Case("GET", "/api/notifications", everyone(200)),
    Case("POST", "/api/notifications/{notification}/read", everyone(404, head=200)),
    Case("POST", "/api/notifications/read-all", everyone(200)),
    # -- push and preferences --
    Case("GET", "/api/push/vapid-public-key", everyone(200)),
    Case("GET", "/api/push/subscriptions", everyone(200)),
    Case("POST", "/api/push/subscriptions", everyone(201), "json:subscription"),
    Case("DELETE", "/api/push/subscriptions/{subscription}", everyone(404, leader=204)),
    Case("GET", "/api/me/notification-preferences", everyone(200)),
    Case("PUT", "/api/me/notification-preferences", everyone(200), "json:preferences"),
    # -- official e-mail: the log for the agency's admins, the sink for admins (development
    # only: none here, 404), preferences for everyone, a document's recipients for whoever
    # sees it, e-mailed links for whoever holds the token --
    Case(
        "GET", "/api/mail/deliveries?organisation_id={org}", everyone(403, admin=200, outsider=404)
    ),
    Case("POST", "/api/mail/deliveries/{mail_delivery}/retry", everyone(404)),
    Case("GET", "/api/documents/{doc}/mail-deliveries", everyone(404, specialist=200, head=200)),
    Case("GET", "/api/me/mail-preferences", everyone(200)),
    Case("PUT", "/api/me/mail-preferences", everyone(200), "json:mail_preferences"),
    Case("GET", "/api/mail/sink", everyone(403, admin=404)),
    Case("GET", "/api/mail/sink/{sink_message}", everyone(403, admin=404)),
    Case("GET", "/api/mail/links/{link_token}/files/{file}", everyone(404)),
    # -- webhooks: the agency's admins only --
    Case("GET", "/api/webhooks?organisation_id={org}", everyone(403, admin=200, outsider=404)),
    Case("POST", "/api/webhooks", everyone(403, admin=201, outsider=404), "json:webhook"),
    Case(
        "PATCH",
        "/api/webhooks/{webhook}",
        everyone(403, admin=200, outsider=404),
        "json:webhook_patch",
    ),
    Case("GET", "/api/webhooks/{webhook}/deliveries", everyone(403, admin=200, outsider=404)),
    Case(
        "POST",
        "/api/webhooks/{webhook}/deliveries/{delivery}/resend",
        everyone(403, admin=200, outsider=404),
    ),
    Case("DELETE", "/api/webhooks/{webhook}", everyone(403, admin=204, outsider=404)),
    Case("GET", "/api/delegations", everyone(200)),
    Case(
        "POST",
        "/api/delegations",
        everyone(403, leader=201, head=201, outsider=404),
        "json:delegation",
    ),
    # revoked by the leader who gave it; the deputy may not; the agency's admin may
    Case(
        "DELETE",
        "/api/delegations/{delegation}",
        everyone(404, leader=200, head=403, admin=200),
    ),
    # -- search: everyone, over what they may open --
    Case("GET", "/api/search?q=quyet+dinh", everyone(200)),
    # -- work calendar: the agency reads it, the office (clerk, admin) keeps it --
    Case("GET", "/api/calendar?week=2026-W48", everyone(200)),
    Case(
        "POST",
        "/api/calendar/events",
        everyone(403, clerk=201, admin=201, outsider=404),
        "json:event",
    ),
    Case("GET", "/api/calendar/events/{event}", everyone(200, outsider=404)),
    Case(
        "PATCH",
        "/api/calendar/events/{event}",
        everyone(403, clerk=200, admin=200, outsider=404),
        "json:event_patch",
    ),
    # the clerk cancels first; the admin then finds it cancelled already
    Case(
        "POST",
        "/api/calendar/events/{event}/cancel",
        everyone(403, clerk=200, admin=409, outsider=404),
        "json:cancel",
    ),
    # digital signing
    Case("GET", "/api/organisations/{org}/signing-settings", everyone(200, outsider=404)),
    Case(
        "PUT",
        "/api/organisations/{org}/signing-settings",
        everyone(403, admin=200, outsider=404),
        "json:signing_settings",
    ),
    Case("GET", "/api/signing-credentials?organisation_id={org}", everyone(200, outsider=404)),
    Case(
        "POST",
        "/api/signing-credentials",
        everyone(403, admin=201, outsider=404),
        "json:credential",
    ),
    Case(
        "DELETE",
        "/api/signing-credentials/{credential}",
        everyone(403, admin=200, outsider=404),
    ),
    Case(
        "PUT",
        "/api/signing-credentials/{credential}/image",
        everyone(403, admin=200, outsider=404),
        "seal_image",
    ),
    Case("GET", "/api/me/signing", everyone(200)),
    Case("PUT", "/api/me/signing-pin", everyone(204), "json:signing_pin"),
    Case("POST", "/api/me/signing-totp", everyone(201), "json:password"),
    # nobody has started an authenticator, so every code is wrong
    Case("POST", "/api/me/signing-totp/confirm", everyone(422), "json:code"),
    Case("GET", "/api/me/signing-passkeys", everyone(200)),
    Case("POST", "/api/me/signing-passkeys/options", everyone(200), "json:password"),
    # a credential without registration options first is refused before any check
    Case("POST", "/api/me/signing-passkeys", everyone(409), "json:passkey"),
    Case("DELETE", "/api/me/signing-passkeys/{passkey}", everyone(404)),
    Case("POST", "/api/signing-requests/{signing_request}/passkey-options", everyone(404)),
    # organisation A records signing decisions without digital signatures (test world)
    Case(
        "POST",
        "/api/signing-requests",
        everyone(404, specialist=409, head=409),
        "json:sign_routed",
    ),
    Case("POST", "/api/documents/{routed}/sign", everyone(404, specialist=409, head=409)),
    Case("GET", "/api/signing-requests/{signing_request}", everyone(404)),
    Case(
        "POST",
        "/api/signing-requests/{signing_request}/authorize",
        everyone(404),
        "json:authorize",
    ),
    Case("GET", "/api/documents/{doc}/signatures", everyone(404, specialist=200, head=200)),
    Case("POST", "/api/documents/{doc}/signatures", everyone(404, specialist=200, head=200)),
    Case(
        "GET",
        "/api/documents/{doc}/signatures/report.pdf",
        everyone(404, specialist=200, head=200),
    ),
    Case("POST", "/api/signatures/validate", everyone(200), "pdf_file"),
    Case(
        "POST",
        "/api/documents/{incoming}/refuse",
        everyone(404, clerk=200),
        "json:refuse",
    ),
    # -- phiếu giải quyết: the leader assigns; the unit's head and people work on it --
    Case(
        "GET",
        "/api/documents/{asg_doc}/assignments",
        everyone(200, admin=404, outsider=404),
    ),
    # once the leader assigned it, the head of KT (cooperating) sees it but may not assign
    Case(
        "POST",
        "/api/documents/{asg_fresh}/assignments",
        everyone(404, leader=201, head=403, clerk=403),
        "json:assign",
    ),
    Case("GET", "/api/assignments", everyone(200)),
    # a person's part: the unit's people, the assignee, the assigner, the leaders
    Case(
        "GET",
        "/api/assignments/{asg_child}",
        everyone(404, leader=200, head=200, specialist=200),
    ),
    Case(
        "POST",
        "/api/assignments/{asg_lead}/sub-assignments",
        everyone(403, head=201, admin=404, outsider=404),
        "json:sub_assign",
    ),
    Case(
        "POST",
        "/api/assignments/{asg_child}/progress",
        everyone(404, leader=403, head=201, specialist=201),
        "json:progress",
    ),
    Case(
        "POST",
        "/api/assignments/{asg_child}/progress/{asg_progress}/files",
        everyone(404, leader=403, head=201, specialist=201),
        "pdf_files",
    ),
    Case(
        "GET",
        "/api/assignments/{asg_child}/progress-files/{asg_file}",
        everyone(404, leader=200, head=200, specialist=200),
    ),
    Case(
        "POST",
        "/api/assignments/{asg_lead}/extensions",
        everyone(403, head=201, admin=404, outsider=404),
        "json:extension",
    ),
    Case(
        "POST",
        "/api/assignments/{asg_child}/extensions/{asg_ext}/decide",
        everyone(404, leader=403, head=200, specialist=403),
        "json:decide",
    ),
    # the head completes the specialist's part first; then it is completed
    Case(
        "POST",
        "/api/assignments/{asg_child}/complete",
        everyone(404, leader=403, head=200, specialist=409),
        "json:complete",
    ),
    # only the informed unit's (VX) heads acknowledge
    Case(
        "POST",
        "/api/assignments/{asg_fyi}/acknowledge",
        everyone(403, admin=404, outsider=404),
    ),
    Case(
        "GET",
        "/api/reports/processing?organisation_id={org}",
        everyone(403, leader=200, head=200, admin=200, outsider=404),
    ),
    Case(
        "GET",
        "/api/reports/processing/documents?organisation_id={org}&bucket=received",
        everyone(403, leader=200, head=200, admin=200, outsider=404),
    ),
    Case(
        "GET",
        "/api/reports/processing/export.csv?organisation_id={org}",
        everyone(403, leader=200, head=200, admin=200, outsider=404),
    ),
    Case(
        "GET",
        "/api/reports/processing/export.xlsx?organisation_id={org}",
        everyone(403, leader=200, head=200, admin=200, outsider=404),
    ),
    Case("GET", "/api/dashboard", everyone(200)),
    # -- exchange (liên thông văn bản) --
    Case("GET", "/api/exchange/directory", everyone(200)),
    Case("POST", "/api/exchange/directory", everyone(403, admin=201), "json:directory_entry"),
    Case("GET", "/api/exchange/directory/{entry}", everyone(200)),
    Case(
        "PATCH", "/api/exchange/directory/{entry}", everyone(403, admin=200), "json:directory_patch"
    ),
    # the issued document: drafter, reviewer, signer and clerk see its deliveries
    Case("GET", "/api/documents/{sent}/deliveries", everyone(200, admin=404, outsider=404)),
    Case(
        "POST",
        "/api/exchange/deliveries/{out_delivery}/resend",
        everyone(403, clerk=202, admin=404, outsider=404),
    ),
    Case(
        "POST",
        "/api/documents/{sent}/recall",
        everyone(403, clerk=202, admin=404, outsider=404),
        "json:recall",
    ),
    Case(
        "POST",
        "/api/documents/{sent}/send-update",
        everyone(403, clerk=202, admin=404, outsider=404),
        "json:recall",
    ),
    # replacing a document by itself: allowed to try, refused for what it asks
    Case(
        "POST",
        "/api/documents/{sent}/replace",
        everyone(403, clerk=422, admin=404, outsider=404),
        "json:replace",
    ),
    Case(
        "GET",
        "/api/exchange/sent?organisation_id={org}",
        everyone(403, clerk=200, leader=200, admin=200, outsider=404),
    ),
    Case(
        "GET",
        "/api/exchange/received?organisation_id={org}",
        everyone(403, clerk=200, outsider=404),
    ),
    Case(
        "GET",
        "/api/exchange/received/counts?organisation_id={org}",
        everyone(403, clerk=200, outsider=404),
    ),
    Case("GET", "/api/exchange/received/{received}", everyone(403, clerk=200, outsider=404)),
    Case(
        "GET", "/api/exchange/received/{received}/package", everyone(403, clerk=200, outsider=404)
    ),
    Case(
        "POST",
        "/api/exchange/received/{received}/register",
        everyone(403, clerk=200, outsider=404),
        "json:received_register",
    ),
    Case(
        "POST",
        "/api/exchange/received/{received}/refuse",
        everyone(403, clerk=200, outsider=404),
        "json:refuse",
    ),
    Case("GET", "/api/exchange/changes", everyone(403, clerk=200)),
    Case(
        "POST",
        "/api/exchange/changes/{change}/decide",
        everyone(403, clerk=200, outsider=404),
        "json:decide",
    ),
    Case("POST", "/api/exchange/poll", everyone(403, clerk=202, admin=202)),
    Case("POST", "/api/auth/logout", everyone(204)),
]


def _body(kind: str, world, objects) -> dict[str, Any]:
    if kind == "none":
        return {}
    if kind == "upload":
        return {
            "data": {
                "document_type_id": "1",
                "subject": "Tờ trình thử quyền",
                "organisation_id": str(objects["org"]),
                "file": (io.BytesIO(make_pdf()), "a.pdf"),
            },
            "content_type": "multipart/form-data",
        }
    if kind == "seal_image":
        from signing.appearance import demo_seal_png

        return {
            "data": {"image": (io.BytesIO(demo_seal_png("UBND")), "dau.png")},
            "content_type": "multipart/form-data",
        }
    if kind == "pdf_files":
        return {
            "data": {"files": [(io.BytesIO(make_pdf()), "tien-do.pdf")]},
            "content_type": "multipart/form-data",
        }
    if kind == "pdf_file":
        return {
            "data": {"file": (io.BytesIO(make_pdf()), "nhan-duoc.pdf")},
            "content_type": "multipart/form-data",
        }
    if kind == "version":
        return {
            "data": {"file": (io.BytesIO(make_pdf(2)), "v2.pdf")},
            "content_type": "multipart/form-data",
        }
    name = kind.split(":", 1)[1]
    payloads = {
        "unit": {"name": "Phòng Tài chính", "abbreviation": "TC"},
        "user": {
            "username": "chuyenvien.moi",
            "full_name": "Lý Thị Thu",
            "password": "mat-khau-du-dai",
            "memberships": [{"role": "specialist", "unit_id": world.units["A.KT"]}],
        },
        "user_patch": {"full_name": "Bùi Quang Huy (đã sửa)"},
        "unit_patch": {"name": "Phòng Văn hóa và Xã hội"},
        "signing_settings": {"signature_level": "B-T"},
        "credential": {
            "organisation_id": world.org_a,
            "purpose": "personal",
            "user_id": world["leader"].id,
            "provider": "pkcs12",
            "credential_ref": "phochutich1.key.pem",
            "certificate": pem_chain(objects["pki"], "phochutich1"),
        },
        "signing_pin": {"password": TEST_PASSWORD, "pin": "135790"},
        "password": {"password": TEST_PASSWORD},
        "passkey": {"credential": {"id": "AAAA", "type": "public-key"}, "name": "Điện thoại"},
        "code": {"code": "000000"},
        "sign_routed": {"document_ids": [objects["routed"]]},
        "authorize": {"method": "pin", "code": "123456"},
        "refuse": {"reason": "Gửi nhầm cơ quan."},
        "directory_entry": {
            "code": "000.00.00.G12",
            "code_qd20": "G12",
            "name": "Bộ Tài chính",
            "reach": "axis",
        },
        "directory_patch": {"telephone": "024 2220 2828"},
        "recall": {"reason": "Văn bản có sai sót."},
        "replace": {"replaces_document_id": objects["sent"], "reason": "Thay thế"},
        "received_register": {},
        "doc_patch": {"subject": "Trích yếu đã sửa"},
        "participant": {"user_id": world["specialist_vx"].id},
        "route": {"steps": standard_route(world)},
        "return": {"reason": "Đề nghị bổ sung số liệu."},
        "forward": {"to_user_id": world["head_vx"].id},
        "reply": {"comment": "Nhất trí."},
        "incoming": {
            "sender_name": "Bộ Nội vụ",
            "sender_code": "000.00.00.G09",
            "number_symbol": "15/BNV-VP",
            "document_date": "2026-11-20",
        },
        "instruction": {"text": "Giao Phòng Kinh tế chủ trì."},
        "assign": {
            "text": "Giao Phòng Văn hóa - Xã hội chủ trì, Phòng Kinh tế phối hợp.",
            "lead": {"unit_id": world.units["A.VX"], "deadline": vn_day(30)},
            "cooperating": [{"unit_id": world.units["A.KT"], "deadline": vn_day(30)}],
        },
        "sub_assign": {"items": [{"assignee_id": world["specialist"].id, "deadline": vn_day(10)}]},
        "progress": {"percent": 30, "note": "Đang tổng hợp."},
        "extension": {"deadline": vn_day(40), "reason": "Chờ ý kiến các sở."},
        "decide": {"decision": "accept"},
        "complete": {"result": "Đã hoàn thành."},
        "template": {
            "organisation_id": world.org_a,
            "name": "Công văn Phòng Kinh tế",
            "steps": standard_route(world),
        },
        "phrase": {"text": "Nhất trí, trình ký."},
        "phrase_order": {"texts": ["Đồng ý.", "Nhất trí, trình ký."]},
        "subscription": {
            "endpoint": "https://push.example.test/send/other",
            "keys": SUBSCRIPTION["keys"],
        },
        "preferences": {
            "muted_kinds": ["document.completed"],
            "quiet_start": "22:00",
            "quiet_end": "06:30",
        },
        "webhook": {
            "organisation_id": world.org_a,
            "url": "https://egov.example.vn/hook",
            "events": ["document.issued"],
        },
        "webhook_patch": {"events": ["document.issued", "document.signed"]},
        "mail_preferences": {"always_kinds": ["step.sign"], "digest": False},
        "event": {
            "organisation_id": world.org_a,
            "title": "Tiếp công dân định kỳ",
            "starts_at": "2026-11-25T08:00:00+07:00",
            "ends_at": "2026-11-25T11:00:00+07:00",
        },
        "event_patch": {"place": "Trụ sở tiếp công dân"},
        "cancel": {"reason": "Hoãn"},
        "delegation": {
            "organisation_id": world.org_a,
            "deputy_id": world["specialist_vx"].id,
            "ends_at": in_30_days(),
        },
    }
    return {"json": payloads[name]}


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.path}")
def test_permission_matrix(client, world, objects, case: Case):
    path = case.path.format(**objects)
    results = {}
    for role in ROLES:
        person = world[role]
        headers = dict(person.headers)
        if case.method != "GET":
            headers["If-Match"] = "*"
        response = client.open(
            path, method=case.method, headers=headers, **_body(case.body, world, objects)
        )
        results[role] = response.status_code
        if response.status_code >= 400:
            assert response.mimetype == "application/problem+json"
    assert results == case.expected


def test_every_api_endpoint_is_in_the_matrix_or_public(app):
    covered = {(c.method, c.path.split("?")[0]) for c in CASES} | PUBLIC
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.rule.startswith(("/api/docs", "/api/openapi")):
            continue
        template = re.sub(r"<(?:[^>]*:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            normalised = {(m, _shape(p)) for m, p in covered}
            assert (method, _shape(template)) in normalised, (
                f"{method} {rule.rule} not in the matrix"
            )


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_every_endpoint_needs_a_token(client, app):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.rule.startswith(("/api/docs", "/api/openapi")):
            continue
        path = re.sub(r"<any\(([^,)]+)[^>]*>", r"\1", rule.rule)
        path = re.sub(r"<int:\w+>", "1", path)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (method, rule.rule) in PUBLIC:
                continue
            r = client.open(path, method=method, json={} if method in {"POST", "PATCH"} else None)
            assert r.status_code == 401, f"{method} {path} answered {r.status_code} without a token"


def test_listing_shows_only_visible_documents(client, world, objects):
    visible = {
        role: {
            d["id"] for d in client.get("/api/documents", headers=world[role].headers).json["items"]
        }
        for role in ROLES
    }
    assert visible["specialist"] >= {objects["doc"], objects["secret"]}
    assert objects["doc"] in visible["head"] and objects["secret"] not in visible["head"]
    for role in ("leader", "clerk", "admin", "outsider"):
        assert not visible[role] & {objects["doc"], objects["secret"]}, role


def test_organisation_list_does_not_leak_other_agencies(client, world):
    orgs = client.get("/api/organisations", headers=world["outsider"].headers).json
    assert [o["id"] for o in orgs] == [world.org_b]
