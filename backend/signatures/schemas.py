from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from backend.core.schemas import Integer, VNDateTime
from signing.pades import Level

from .models import CredentialPurpose, ProviderKind


class SigningSettingsSchema(Schema):
    organisation_id = Integer(attribute="id", dump_only=True)
    digital_signing = fields.Boolean(
        metadata={"description": "sign steps need a digital signature"}
    )
    signature_level = fields.String(validate=validate.OneOf([lv.value for lv in Level]))


class SigningSettingsUpdateSchema(Schema):
    digital_signing = fields.Boolean()
    signature_level = fields.String(validate=validate.OneOf([lv.value for lv in Level]))


class CredentialCreateSchema(Schema):
    organisation_id = Integer(required=True)
    purpose = fields.String(
        required=True, validate=validate.OneOf([p.value for p in CredentialPurpose])
    )
    user_id = Integer(load_default=None, allow_none=True)
    provider = fields.String(
        required=True, validate=validate.OneOf([p.value for p in ProviderKind])
    )
    credential_ref = fields.String(
        required=True,
        validate=validate.Length(min=1, max=255),
        metadata={"description": "key file (pkcs12), key label (pkcs11) or credential ID (csc)"},
    )
    certificate = fields.String(
        load_default="",
        validate=validate.Length(max=100_000),
        metadata={"description": "PEM, the signer first then its chain; csc: read if empty"},
    )


class CertificateNameSchema(Schema):
    subject = fields.String()
    issuer = fields.String()


class CredentialSchema(Schema):
    id = Integer()
    organisation_id = Integer()
    user_id = Integer(allow_none=True)
    purpose = fields.String()
    provider = fields.String()
    credential_ref = fields.String()
    subject = fields.String()
    issuer = fields.String()
    serial = fields.String()
    not_before = VNDateTime()
    not_after = VNDateTime()
    days_left = Integer()
    expired = fields.Boolean()
    expiring_soon = fields.Boolean(metadata={"description": "expires within 30 days"})
    chain = fields.List(fields.Nested(CertificateNameSchema))
    has_image = fields.Boolean()
    active = fields.Boolean()


class CredentialListArgsSchema(Schema):
    organisation_id = Integer(required=True)


class ImageFilesSchema(Schema):
    image = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class ValidationFileSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class PinSchema(Schema):
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))
    pin = fields.String(
        required=True,
        load_only=True,
        validate=validate.Regexp(r"^[0-9]{6,12}$", error="6 to 12 digits."),
    )


class PasswordSchema(Schema):
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))


class TotpStartedSchema(Schema):
    secret = fields.String(metadata={"description": "base32, for the authenticator app"})
    otpauth_uri = fields.String()


class CodeSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{6}$"))


class FactorStatusSchema(Schema):
    pin_set = fields.Boolean()
    totp_enabled = fields.Boolean()
    passkeys = Integer(metadata={"description": "passkeys registered for signing"})
    locked_until = VNDateTime(allow_none=True)
    credential = fields.Nested(CredentialSchema, allow_none=True)


class PlacementSchema(Schema):
    page = Integer(required=True, validate=validate.Range(min=1))
    x1 = fields.Float(required=True)
    y1 = fields.Float(required=True)
    x2 = fields.Float(required=True)
    y2 = fields.Float(required=True)
    unit = fields.String(
        load_default="pt",
        validate=validate.OneOf(["pt", "page"]),
        metadata={
            "description": "pt: PDF points from the bottom-left corner; page: fractions "
            "(0–1) of the page's width and height, from the bottom-left (what a tap on a "
            "page image gives)"
        },
    )

    @validates_schema
    def _a_box(self, data: dict, **_: object) -> None:
        if not (data["x1"] < data["x2"] and data["y1"] < data["y2"]):
            raise ValidationError("x1 < x2 and y1 < y2.", "x2")
        if data["unit"] == "page" and not all(0 <= data[k] <= 1 for k in ("x1", "y1", "x2", "y2")):
            raise ValidationError("Fractions of the page lie between 0 and 1.", "x1")


class DocumentPlacementSchema(PlacementSchema):
    document_id = Integer(required=True)


class SignOneSchema(Schema):
    placement = fields.Nested(
        PlacementSchema,
        load_default=None,
        allow_none=True,
        metadata={"description": "default: found from the signer's printed name"},
    )


class SigningRequestCreateSchema(Schema):
    document_ids = fields.List(Integer(), required=True, validate=validate.Length(min=1, max=100))
    placements = fields.List(
        fields.Nested(DocumentPlacementSchema),
        load_default=list,
        metadata={
            "description": "where to sign the documents whose text does not contain the "
            "signer's printed name (their items answer code needs-position)"
        },
    )


class AuthorizeSchema(Schema):
    method = fields.String(required=True, validate=validate.OneOf(["pin", "totp", "passkey"]))
    code = fields.String(load_only=True, validate=validate.Length(min=4, max=12))
    assertion = fields.Dict(
        load_only=True,
        metadata={"description": "passkey: the PublicKeyCredential from navigator.credentials.get"},
    )

    @validates_schema
    def _one_proof(self, data: dict, **_: object) -> None:
        if data["method"] == "passkey":
            if not data.get("assertion"):
                raise ValidationError("A passkey assertion is required.", "assertion")
        elif not data.get("code"):
            raise ValidationError("The PIN or code is required.", "code")


class SigningItemSchema(Schema):
    document_id = Integer()
    state = fields.String(metadata={"description": "prepared | signed | completed | failed"})
    code = fields.String()
    reason = fields.String()
    version = Integer(allow_none=True)
    level_achieved = fields.String(allow_none=True)
    warnings = fields.List(fields.String())


class SigningRequestSchema(Schema):
    id = Integer()
    state = fields.String(
        metadata={"description": "awaiting_authorization | signing | completed | failed"}
    )
    reason = fields.String()
    level = fields.String()
    created_at = VNDateTime()
    expires_at = VNDateTime()
    authorized_at = VNDateTime(allow_none=True)
    finished_at = VNDateTime(allow_none=True)
    items = fields.List(fields.Nested(SigningItemSchema))


class ValidationArgsSchema(Schema):
    version = Integer(load_default=None, validate=validate.Range(min=1))


class ValidationReportSchema(Schema):
    ok = fields.Boolean()
    verdict_vi = fields.String()
    verdict_en = fields.String()
    signatures = fields.List(fields.Dict())


class ValidationRecordSchema(Schema):
    document_id = Integer()
    version = Integer()
    ok = fields.Boolean()
    signature_count = Integer()
    checked_at = VNDateTime()
    report = fields.Nested(ValidationReportSchema)


class PasskeyCreateSchema(Schema):
    credential = fields.Dict(
        required=True,
        metadata={"description": "the PublicKeyCredential from navigator.credentials.create"},
    )
    name = fields.String(load_default="Điện thoại", validate=validate.Length(min=1, max=100))


class PasskeySchema(Schema):
    id = Integer()
    name = fields.String()
    created_at = VNDateTime()
    last_used_at = VNDateTime(allow_none=True)


class WebAuthnOptionsSchema(Schema):
    class Meta:
        unknown = "include"

    challenge = fields.String()
    rpId = fields.String()
    rp = fields.Dict()
    user = fields.Dict()
    pubKeyCredParams = fields.List(fields.Dict())
    allowCredentials = fields.List(fields.Dict())
    excludeCredentials = fields.List(fields.Dict())
    authenticatorSelection = fields.Dict()
    userVerification = fields.String()
    attestation = fields.String()
    timeout = Integer()
