from __future__ import annotations

from flask import Response, current_app, request
from flask.views import MethodView

from backend.auth.guard import current_user
from backend.core.api import Blueprint
from backend.core.errors import PayloadTooLarge, ValidationFailed
from backend.core.idempotency import idempotent
from backend.core.ratelimit import limiter, setting

from . import passkeys, service
from .schemas import (
    AuthorizeSchema,
    CodeSchema,
    CredentialCreateSchema,
    CredentialListArgsSchema,
    CredentialSchema,
    FactorStatusSchema,
    ImageFilesSchema,
    PasskeyCreateSchema,
    PasskeySchema,
    PasswordSchema,
    PinSchema,
    SigningRequestCreateSchema,
    SigningRequestSchema,
    SigningSettingsSchema,
    SigningSettingsUpdateSchema,
    SignOneSchema,
    TotpStartedSchema,
    ValidationArgsSchema,
    ValidationFileSchema,
    ValidationRecordSchema,
    ValidationReportSchema,
    WebAuthnOptionsSchema,
)

blp = Blueprint(
    "signatures",
    __name__,
    url_prefix="/api",
    description="Digital signatures: credentials, signing requests, validation",
)


def _placements(values: list[dict]) -> dict[int, service.Placement]:
    return {v.pop("document_id"): service.Placement(**v) for v in values}


def _upload(field: str) -> bytes:
    upload = request.files.get(field)
    if upload is None:
        raise ValidationFailed(f"Send the file as '{field}'.", {field: ["Required."]})
    limit = current_app.extensions["settings"].max_upload_bytes
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"The file is larger than {limit // (1024 * 1024)} MB.")
    return data


@blp.route("/organisations/<int:organisation_id>/signing-settings")
class Settings(MethodView):
    @blp.response(200, SigningSettingsSchema)
    def get(self, organisation_id: int):
        """Whether sign steps need a digital signature, and the PAdES level"""
        return service.get_settings(current_user(), organisation_id)

    @blp.arguments(SigningSettingsUpdateSchema)
    @blp.response(200, SigningSettingsSchema)
    def put(self, data: dict, organisation_id: int):
        """Change the signing settings (admins)"""
        return service.update_settings(current_user(), organisation_id, data)


@blp.route("/signing-credentials")
class Credentials(MethodView):
    @blp.arguments(CredentialListArgsSchema, location="query")
    @blp.response(200, CredentialSchema(many=True))
    def get(self, args: dict):
        """Signing keys: all of the organisation's for admins, one's own and the seal else"""
        rows = service.list_credentials(current_user(), args["organisation_id"])
        return [service.credential_view(r) for r in rows]

    @idempotent
    @blp.arguments(CredentialCreateSchema)
    @blp.response(201, CredentialSchema)
    def post(self, data: dict):
        """Register a person's key or the agency seal with its certificate chain (admins)"""
        return service.credential_view(service.create_credential(current_user(), data))


@blp.route("/signing-credentials/<int:credential_id>")
class CredentialView(MethodView):
    @blp.response(200, CredentialSchema)
    def delete(self, credential_id: int):
        """Stop using a key (admins); it stays on record"""
        return service.credential_view(service.deactivate_credential(current_user(), credential_id))


@blp.route("/signing-credentials/<int:credential_id>/image")
class CredentialImage(MethodView):
    @blp.arguments(ImageFilesSchema, location="files")
    @blp.response(200, CredentialSchema)
    def put(self, files: dict, credential_id: int):
        """The signature image (blue) or seal (red): a PNG with a transparent background"""
        row = service.set_image(current_user(), credential_id, _upload("image"))
        return service.credential_view(row)


@blp.route("/me/signing")
class MySigning(MethodView):
    @blp.response(200, FactorStatusSchema)
    def get(self):
        """My signing setup: PIN, authenticator, key and certificate"""
        return service.factor_status(current_user())


@blp.route("/me/signing-pin")
class MyPin(MethodView):
    @blp.arguments(PinSchema)
    @blp.response(204)
    def put(self, data: dict):
        """Set the signing PIN (the account password confirms it)"""
        service.set_pin(current_user(), data["password"], data["pin"])


@blp.route("/me/signing-totp")
class MyTotp(MethodView):
    @blp.arguments(PasswordSchema)
    @blp.response(201, TotpStartedSchema)
    def post(self, data: dict):
        """Start setting up an authenticator app: the secret, shown once"""
        return service.start_totp(current_user(), data["password"])


@blp.route("/me/signing-totp/confirm")
class MyTotpConfirm(MethodView):
    @idempotent
    @blp.arguments(CodeSchema)
    @blp.response(204)
    def post(self, data: dict):
        """Confirm the authenticator with a first code"""
        service.confirm_totp(current_user(), data["code"])


def _relying_party() -> passkeys.RelyingParty:
    """The configured site, or the host this request came to (one-host deployments)."""
    settings = current_app.extensions["settings"]
    origins = tuple(o.strip() for o in settings.webauthn_origins.split(",") if o.strip())
    origins = origins or (request.host_url.rstrip("/"),)
    return passkeys.RelyingParty(settings.webauthn_rp_id or request.host.split(":")[0], origins)


@blp.route("/me/signing-passkeys")
class MyPasskeys(MethodView):
    @blp.response(200, PasskeySchema(many=True))
    def get(self):
        """The passkeys (khóa truy cập) that can confirm my signatures"""
        return [passkeys.passkey_view(p) for p in passkeys.list_passkeys(current_user())]

    @idempotent
    @blp.arguments(PasskeyCreateSchema)
    @blp.response(201, PasskeySchema)
    def post(self, data: dict):
        """Register the passkey the browser created for the options just given"""
        rp = _relying_party()
        row = service.add_passkey(current_user(), data["credential"], data["name"], rp)
        return passkeys.passkey_view(row)


@blp.route("/me/signing-passkeys/options")
class MyPasskeyOptions(MethodView):
    @idempotent
    @blp.arguments(PasswordSchema)
    @blp.response(200, WebAuthnOptionsSchema)
    def post(self, data: dict):
        """Options for navigator.credentials.create() (after the account password)"""
        return service.start_passkey(current_user(), data["password"], _relying_party())


@blp.route("/me/signing-passkeys/<int:passkey_id>")
class MyPasskey(MethodView):
    @blp.response(204)
    def delete(self, passkey_id: int):
        """Remove a passkey (a lost phone)"""
        passkeys.remove(current_user(), passkey_id)


@blp.route("/signing-requests/<int:request_id>/passkey-options")
class PasskeyOptions(MethodView):
    @idempotent
    @blp.response(200, WebAuthnOptionsSchema)
    def post(self, request_id: int):
        """A one-use challenge to confirm this request with a passkey (navigator.credentials.get)"""
        return service.passkey_options(current_user(), request_id, _relying_party())


@blp.route("/signing-requests")
class SigningRequests(MethodView):
    @idempotent
    @blp.arguments(SigningRequestCreateSchema)
    @blp.response(201, SigningRequestSchema)
    def post(self, data: dict):
        """Ký số: prepare up to 100 documents waiting for my signature; authorize next"""
        created = service.create_request(
            current_user(), data["document_ids"], _placements(data["placements"])
        )
        return service.request_view(created)


@blp.route("/documents/<int:document_id>/sign")
class SignOne(MethodView):
    @idempotent
    @blp.arguments(SignOneSchema)
    @blp.response(201, SigningRequestSchema)
    def post(self, data: dict, document_id: int):
        """Ký số one document (a signing request with one item)"""
        placement = data["placement"]
        created = service.create_request(
            current_user(),
            [document_id],
            _placements([{**placement, "document_id": document_id}] if placement else []),
        )
        return service.request_view(created)


@blp.route("/signing-requests/<int:request_id>")
class SigningRequestView(MethodView):
    @blp.response(200, SigningRequestSchema)
    def get(self, request_id: int):
        """A signing request and the result per document"""
        return service.request_view(service.get_request(current_user(), request_id))


def _signer_key() -> str:
    return f"signer:{current_user().id}"


@blp.route("/signing-requests/<int:request_id>/authorize")
class Authorize(MethodView):
    decorators = [
        limiter.limit(setting("signing_rate_limit"), key_func=_signer_key, scope="sign-authorize")
    ]

    @idempotent
    @blp.arguments(AuthorizeSchema)
    @blp.response(202, SigningRequestSchema)
    def post(self, data: dict, request_id: int):
        """Xác nhận ký: the signing PIN or an authenticator code; the worker then signs"""
        authorized = service.authorize(
            current_user(),
            request_id,
            data["method"],
            data.get("code", ""),
            assertion=data.get("assertion"),
            rp=_relying_party(),
        )
        return service.request_view(authorized)


@blp.route("/documents/<int:document_id>/signatures")
class DocumentSignatures(MethodView):
    @blp.arguments(ValidationArgsSchema, location="query")
    @blp.response(200, ValidationRecordSchema)
    def get(self, args: dict, document_id: int):
        """Kiểm tra chữ ký: the validation report of a version (the current by default)"""
        if args["version"] is None:
            return service.latest_validation(current_user(), document_id)
        return service.validate_version(current_user(), document_id, args["version"])

    @idempotent
    @blp.arguments(ValidationArgsSchema, location="query")
    @blp.response(200, ValidationRecordSchema)
    def post(self, args: dict, document_id: int):
        """Check the signatures again now (revocation may have changed)"""
        return service.validate_version(current_user(), document_id, args["version"])


@blp.route("/documents/<int:document_id>/signatures/report.pdf")
class DocumentSignatureReport(MethodView):
    @blp.arguments(ValidationArgsSchema, location="query")
    @blp.response(200, content_type="application/pdf")
    def get(self, args: dict, document_id: int):
        """Biên bản kiểm tra chữ ký số: the report as a one-page PDF in Vietnamese"""
        data, name = service.report_pdf(current_user(), document_id, args["version"])
        return Response(
            data,
            mimetype="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


@blp.route("/signatures/validate")
class ValidateUpload(MethodView):
    @blp.arguments(ValidationFileSchema, location="files")
    @blp.response(200, ValidationReportSchema)
    def post(self, files: dict):
        """Validate a PDF received from outside (nothing is stored)"""
        current_user()
        return service.validate_pdf(_upload("file"))
