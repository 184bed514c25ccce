"""Signing through the API: the test PKI (certomancer, TSA/OCSP/CRL on loopback) from
tests/signing, organisation A switched to digital signing, keys registered by the admin
as a real deployment would, and signing PINs set."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from asn1crypto import pem

from backend.signatures import runtime
from signing.samples import decision
from tests.conftest import TEST_PASSWORD, act, set_route, upload_document
from tests.signing.conftest import (  # noqa: F401 - session fixtures: the PKI, the CSC service
    PKIEnv,
    csc_service,
    pki_env,
)

PIN = "246810"


def pem_chain(env: PKIEnv, label: str) -> str:
    material = env.pki.signer(label)
    certs = [material.certificate, *material.chain]
    return "".join(pem.armor("CERTIFICATE", c.dump()).decode() for c in certs)


@pytest.fixture
def signing_env(app, client, world, pki_env: PKIEnv, monkeypatch, tmp_path):  # noqa: F811
    settings = app.extensions["settings"]
    root = Path(tmp_path) / "root.pem"
    root.write_bytes(pem.armor("CERTIFICATE", pki_env.pki.trust_root().dump()))
    monkeypatch.setattr(settings, "dev_pki", False)
    monkeypatch.setattr(settings, "signing_pki_dir", str(pki_env.pki.directory))
    monkeypatch.setattr(settings, "signing_trust_roots", str(root))
    monkeypatch.setattr(settings, "signing_tsa_url", pki_env.pki.tsa_url)
    runtime.reset_providers()
    admin = world["admin"]
    r = client.put(
        f"/api/organisations/{world.org_a}/signing-settings",
        json={"digital_signing": True, "signature_level": "B-T"},
        headers=admin.headers,
    )
    assert r.status_code == 200, r.json
    for person, label in (("leader", "phochutich1"), ("leader2", "ec-signer")):
        r = client.post(
            "/api/signing-credentials",
            json={
                "organisation_id": world.org_a,
                "purpose": "personal",
                "user_id": world[person].id,
                "provider": "pkcs12",
                "credential_ref": f"{label}.key.pem",
                "certificate": pem_chain(pki_env, label),
            },
            headers=admin.headers,
        )
        assert r.status_code == 201, r.json
        r = client.put(
            "/api/me/signing-pin",
            json={"password": TEST_PASSWORD, "pin": PIN},
            headers=world[person].headers,
        )
        assert r.status_code == 204, r.json
    r = client.post(
        "/api/signing-credentials",
        json={
            "organisation_id": world.org_a,
            "purpose": "seal",
            "provider": "pkcs12",
            "credential_ref": "seal.key.pem",
            "certificate": pem_chain(pki_env, "seal"),
        },
        headers=admin.headers,
    )
    assert r.status_code == 201, r.json
    yield pki_env
    runtime.reset_providers()


@pytest.fixture
def awaiting_signature(client, world) -> Callable[..., int]:
    """A decision drafted by the specialist, routed to the vice-chairman's signature and
    then the clerk, submitted: it waits for the leader's signature."""

    def make(signer: str = "leader", **meta) -> int:
        pdf = decision(world[signer].full_name)
        document = upload_document(client, world["specialist"], pdf=pdf, **meta).json["id"]
        steps = [
            {"kind": "sign", "actors": [{"user_id": world[signer].id}]},
            {"kind": "issue", "actors": [{"user_id": world["clerk"].id}]},
        ]
        assert set_route(client, world["specialist"], document, steps).status_code == 200
        assert act(client, world["specialist"], document, "submit").status_code == 200
        return document

    return make


@pytest.fixture
def provider_calls(monkeypatch) -> list[int]:
    """How many digests each provider call signed (one call = one authorization)."""
    calls: list[int] = []
    build = runtime.provider_for

    def counting(row):
        provider = build(row)

        class Counting:
            def sign_digests(self, credential, digests, authorization=None):
                calls.append(len(digests))
                return provider.sign_digests(credential, digests, authorization)

        return Counting()

    monkeypatch.setattr(runtime, "provider_for", counting)
    return calls
