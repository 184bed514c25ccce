"""Credentials admin (keys, chains, expiry warnings, signature images checked against
Nghị định 30) and a batch signed through a remote CSC service with one authorization."""

from __future__ import annotations

import io

from asn1crypto import pem

from signing import appearance
from signing.devpki import ARCH
from tests.conftest import run_worker
from tests.signatures.conftest import PIN


def credentials(client, person, org):
    r = client.get(
        "/api/signing-credentials", query_string={"organisation_id": org}, headers=person.headers
    )
    assert r.status_code == 200, r.json
    return r.json


def upload_image(client, person, credential_id, png: bytes):
    return client.put(
        f"/api/signing-credentials/{credential_id}/image",
        data={"image": (io.BytesIO(png), "chu-ky.png")},
        headers=person.headers,
        content_type="multipart/form-data",
    )


def test_admin_sees_chains_and_expiry_people_see_their_own(client, world, signing_env):
    rows = credentials(client, world["admin"], world.org_a)
    assert {r["purpose"] for r in rows} == {"personal", "seal"}
    leader = next(r for r in rows if r["user_id"] == world["leader"].id)
    assert [c["subject"] for c in leader["chain"]] == [
        "Lê Thị Hồng Hạnh",
        "Trình Ký Dev Issuing CA",
    ]
    assert leader["days_left"] > 30 and not leader["expiring_soon"] and not leader["expired"]
    own = credentials(client, world["leader"], world.org_a)
    assert {r["user_id"] for r in own} == {world["leader"].id, None}  # own key and the seal
    r = client.get(
        "/api/signing-credentials",
        query_string={"organisation_id": world.org_a},
        headers=world["outsider"].headers,
    )
    assert r.status_code == 404


def test_a_certificate_about_to_expire_is_flagged(app, client, world, signing_env):
    from datetime import timedelta

    from backend.core.db import atomic
    from backend.core.timeutil import utcnow
    from backend.signatures.models import SigningCredential

    rows = credentials(client, world["admin"], world.org_a)
    leader = next(r for r in rows if r["user_id"] == world["leader"].id)
    with app.app_context(), atomic() as s:
        s.get(SigningCredential, leader["id"]).not_after = utcnow() + timedelta(days=12)
    leader = next(
        r for r in credentials(client, world["admin"], world.org_a) if r["id"] == leader["id"]
    )
    assert leader["expiring_soon"] and leader["days_left"] in (11, 12)


def test_signature_images_follow_the_rules(client, world, signing_env):
    admin = world["admin"]
    rows = credentials(client, admin, world.org_a)
    personal = next(r for r in rows if r["purpose"] == "personal")
    seal = next(r for r in rows if r["purpose"] == "seal")
    blue = appearance.demo_signature_png("Lê Thị Hồng Hạnh")
    red = appearance.demo_seal_png("Ủy ban nhân dân tỉnh Nghệ An")
    assert upload_image(client, admin, personal["id"], blue).json["has_image"]
    assert upload_image(client, admin, seal["id"], red).status_code == 200
    wrong = upload_image(client, admin, personal["id"], red)
    assert wrong.status_code == 422 and wrong.json["code"] == "image-not-blue"
    jpeg = upload_image(client, admin, personal["id"], b"\xff\xd8\xff\xe0 not a png")
    assert jpeg.status_code == 422
    # only administrators manage keys
    assert upload_image(client, world["leader"], personal["id"], blue).status_code == 403


def test_bad_certificates_and_owners_are_refused(client, world, signing_env):
    body = {
        "organisation_id": world.org_a,
        "purpose": "personal",
        "user_id": world["outsider"].id,
        "provider": "pkcs12",
        "credential_ref": "x.key.pem",
        "certificate": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    }
    r = client.post("/api/signing-credentials", json=body, headers=world["admin"].headers)
    assert r.status_code == 422 and r.json["code"] == "certificate-unreadable"
    body["certificate"] = pem.armor(
        "CERTIFICATE", signing_env.pki.signer("phochutich1").certificate.dump()
    ).decode()
    r = client.post("/api/signing-credentials", json=body, headers=world["admin"].headers)
    assert r.status_code == 422  # the outsider is not a member of this organisation
    r = client.post("/api/signing-credentials", json=body, headers=world["leader"].headers)
    assert r.status_code in (403, 422)


def test_a_revoked_certificate_signs_nothing(client, world, signing_env, awaiting_signature):
    from tests.signatures.conftest import pem_chain

    admin, leader2 = world["admin"], world["leader2"]
    r = client.post(
        "/api/signing-credentials",
        json={
            "organisation_id": world.org_a,
            "purpose": "personal",
            "user_id": leader2.id,
            "provider": "pkcs12",
            "credential_ref": "revoked.key.pem",
            "certificate": pem_chain(signing_env, "revoked"),
        },
        headers=admin.headers,
    )
    assert r.status_code == 201
    document = awaiting_signature(signer="leader2")
    r = client.post(f"/api/documents/{document}/sign", json={}, headers=leader2.headers)
    assert r.status_code == 409 and r.json["code"] == "certificate-revoked", r.json
    assert (
        client.get(f"/api/documents/{document}", headers=leader2.headers).json["current_version"]
        == 1
    )


def test_twenty_documents_via_csc_with_one_authorization(
    app, client, world, signing_env, awaiting_signature, csc_service, monkeypatch
):
    url, calls = csc_service
    monkeypatch.setattr(app.extensions["settings"], "signing_csc_url", url)
    admin, leader = world["admin"], world["leader"]
    r = client.post(
        "/api/signing-credentials",
        json={
            "organisation_id": world.org_a,
            "purpose": "personal",
            "user_id": leader.id,
            "provider": "csc",
            "credential_ref": f"{ARCH}/phochutich1",
        },
        headers=admin.headers,
    )
    assert r.status_code == 201, r.json
    assert r.json["subject"] == leader.full_name  # the chain came from the service
    documents = [awaiting_signature() for _ in range(20)]
    request = client.post(
        "/api/signing-requests", json={"document_ids": documents}, headers=leader.headers
    ).json
    before = calls["/csc/v1/credentials/authorize"], calls["/csc/v1/signatures/signHash"]
    r = client.post(
        f"/api/signing-requests/{request['id']}/authorize",
        json={"method": "pin", "code": PIN},
        headers=leader.headers,
    )
    assert r.status_code == 202
    run_worker(app)
    after = calls["/csc/v1/credentials/authorize"], calls["/csc/v1/signatures/signHash"]
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)
    done = client.get(f"/api/signing-requests/{request['id']}", headers=leader.headers).json
    assert done["state"] == "completed"
    assert [i["state"] for i in done["items"]] == ["completed"] * 20
    report = client.get(f"/api/documents/{documents[-1]}/signatures", headers=leader.headers)
    assert report.json["ok"]
