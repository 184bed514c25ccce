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


def _self_signed_pem(directory) -> str:
    """A key and a self-signed certificate, the key put in the key store."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "Tự ký")])
    now = datetime.now(UTC)
    cert = (
        cx509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(
            cx509.KeyUsage(True, True, False, False, False, False, False, False, False), True
        )
        .sign(key, hashes.SHA256())
    )
    (directory / "tu-ky.key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_a_credential_is_checked_before_it_is_stored(
    app, client, world, signing_env, frozen_clock, awaiting_signature
):
    """Untrusted or expired certificates, keys that are not the certificate's, references
    outside the key store: 422 naming the reason, nothing stored, no server path shown,
    and the person's valid key stays active."""
    from datetime import UTC, datetime

    from tests.conftest import count_rows
    from tests.signatures.conftest import pem_chain

    admin, leader = world["admin"], world["leader"]
    store = signing_env.pki.directory
    body = {
        "organisation_id": world.org_a,
        "purpose": "personal",
        "user_id": leader.id,
        "provider": "pkcs12",
        "credential_ref": "phochutich1.key.pem",
        "certificate": pem_chain(signing_env, "phochutich1"),
    }
    rows = count_rows(app, "signing_credentials")

    def refused(code: str, field: str, **changes) -> dict:
        r = client.post("/api/signing-credentials", json={**body, **changes}, headers=admin.headers)
        assert r.status_code == 422, r.json
        assert r.json["code"] == code and field in r.json["errors"], r.json
        assert str(store) not in str(r.json) and "/etc" not in r.json["detail"]
        return r.json

    refused(
        "certificate-untrusted",
        "certificate",
        certificate=_self_signed_pem(store),
        credential_ref="tu-ky.key.pem",
    )
    refused("key-mismatch", "credential_ref", credential_ref="seal.key.pem")
    refused("credential-ref-invalid", "credential_ref", credential_ref="../../etc/passwd")
    refused("credential-ref-invalid", "credential_ref", credential_ref="/etc/passwd")
    refused("key-unavailable", "credential_ref", credential_ref="khong-co.key.pem")
    assert count_rows(app, "signing_credentials") == rows
    # in 2061 the certificate (valid to 2060) has expired: refused, the old one stays
    frozen_clock(datetime(2061, 1, 2, tzinfo=UTC))
    refused("certificate-expired", "certificate")
    frozen_clock(datetime.now(UTC))
    mine = [c for c in credentials(client, admin, world.org_a) if c["user_id"] == leader.id]
    assert [c["active"] for c in mine] == [True]
    # a trust root that is no longer configured: signing says so (409), never a 500
    settings = app.extensions["settings"]
    other = store / "other-root.pem"
    other.write_bytes(pem.armor("CERTIFICATE", signing_env.pki.certificate("tsa").dump()))
    settings.signing_trust_roots, before = str(other), settings.signing_trust_roots
    try:
        document = awaiting_signature()
        r = client.post(f"/api/documents/{document}/sign", json={}, headers=leader.headers)
        assert r.status_code == 409 and r.json["code"] == "certificate-untrusted", r.json
    finally:
        settings.signing_trust_roots = before
