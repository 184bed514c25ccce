"""The development PKI of `make run`: a certomancer root, issuing CA (CRL + OCSP) and TSA
in var/pki, a key and certificate for every demo leader and head and the agency seal,
registered as signing credentials with demo images and a demo signing PIN. The worker
serves the TSA/OCSP/CRL on 127.0.0.1:DEV_PKI_PORT. Never used in production."""

from __future__ import annotations

import base64
from pathlib import Path

from asn1crypto import pem
from sqlalchemy import select

from backend.auth.service import hash_password
from backend.core.db import atomic, session
from backend.documents import service as documents
from backend.org.models import Membership, Organisation, Role, User
from signing.appearance import demo_seal_png, demo_signature_png
from signing.devpki import DevPKI, Holder

from . import runtime
from .models import CredentialPurpose, ProviderKind, SigningCredential, SigningFactor

DEMO_SIGNING_PIN = "123456"
SIGNER_ROLES = {Role.LEADER, Role.HEAD}


def _holders() -> tuple[list[Holder], dict[str, tuple[int, int | None, str]]]:
    """Holders for the PKI, and label -> (organisation, user or None for the seal, name)."""
    holders: list[Holder] = []
    owners: dict[str, tuple[int, int | None, str]] = {}
    s = session()
    for org in s.scalars(select(Organisation).order_by(Organisation.id)):
        label = f"seal-{org.id}"
        holders.append(Holder(label, org.name, org.name))
        owners[label] = (org.id, None, org.name)
        for membership in s.scalars(
            select(Membership)
            .where(Membership.organisation_id == org.id, Membership.role.in_(SIGNER_ROLES))
            .order_by(Membership.user_id)
        ):
            user = membership.user
            label = f"user-{user.id}"
            if label not in owners:
                holders.append(Holder(label, user.full_name, org.name))
                owners[label] = (org.id, user.id, user.full_name)
    return holders, owners


def ensure_dev_pki() -> int:
    """Create what is missing; returns how many credentials were registered."""
    settings = runtime.settings()
    if settings.is_production:
        raise RuntimeError("the development PKI is not for production")
    holders, owners = _holders()
    pki = DevPKI.ensure(settings.signing_pki_dir, holders, runtime.dev_pki_url())
    root = Path(settings.signing_pki_dir) / "root.cert.pem"
    root.write_bytes(pem.armor("CERTIFICATE", pki.trust_root().dump()))
    added = 0
    with atomic() as s:
        admin = s.scalars(
            select(User).join(Membership).where(Membership.role == Role.ADMIN).order_by(User.id)
        ).first()
        for label, (organisation_id, user_id, name) in owners.items():
            purpose = CredentialPurpose.SEAL if user_id is None else CredentialPurpose.PERSONAL
            exists = s.scalar(
                select(SigningCredential.id).where(
                    SigningCredential.organisation_id == organisation_id,
                    SigningCredential.purpose == purpose,
                    SigningCredential.user_id.is_(None)
                    if user_id is None
                    else SigningCredential.user_id == user_id,
                    SigningCredential.active.is_(True),
                )
            )
            if exists:
                continue
            material = pki.signer(label)
            cert = material.certificate
            validity = cert["tbs_certificate"]["validity"]
            png = demo_seal_png(name) if user_id is None else demo_signature_png(name)
            image = documents.blob_store().put_bytes(png)
            documents._insert_blob_if_missing(image, len(png))
            s.add(
                SigningCredential(
                    organisation_id=organisation_id,
                    user_id=user_id,
                    purpose=purpose,
                    provider=ProviderKind.PKCS12,
                    credential_ref=f"{label}.key.pem",
                    certificate=cert.dump(),
                    chain=[base64.b64encode(c.dump()).decode() for c in material.chain],
                    subject=name,
                    issuer="Trình Ký Dev Issuing CA",
                    serial=str(cert.serial_number),
                    not_before=validity["not_before"].native,
                    not_after=validity["not_after"].native,
                    image_sha256=image,
                    created_by_id=admin.id if admin else (user_id or 1),
                )
            )
            if user_id is not None and s.get(SigningFactor, user_id) is None:
                s.add(
                    SigningFactor(
                        user_id=user_id,
                        pin_hash=hash_password(DEMO_SIGNING_PIN),
                        failures=0,
                        totp_last_step=0,
                    )
                )
            added += 1
    return added


def serve_in_background() -> None:
    """Called by the worker in development: TSA/OCSP/CRL on loopback."""
    from signing.devpki import serve

    settings = runtime.settings()
    directory = Path(settings.signing_pki_dir)
    if not (directory / "holders.json").exists():
        return
    pki = DevPKI.load(directory, runtime.dev_pki_url())
    serve(pki, "127.0.0.1", settings.dev_pki_port)
