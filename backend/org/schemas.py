from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.core.schemas import Integer, VNDateTime
from backend.core.timeutil import utcnow

from .models import Role

ROLE_VALUES = [r.value for r in Role]


class OrganisationSchema(Schema):
    id = Integer(dump_only=True)
    code = fields.String(metadata={"description": "mã định danh, e.g. 000.00.00.H41"})
    name = fields.String()
    short_name = fields.String()
    parent_id = Integer(allow_none=True)


class UnitSchema(Schema):
    id = Integer(dump_only=True)
    organisation_id = Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    abbreviation = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-zĐđ0-9]{1,20}$"))


class UnitUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=255))
    abbreviation = fields.String(validate=validate.Regexp(r"^[A-Za-zĐđ0-9]{1,20}$"))


class MembershipSchema(Schema):
    organisation_id = Integer(dump_only=True)
    organisation_name = fields.Function(lambda m: m.organisation.name, dump_only=True)
    unit_id = Integer(allow_none=True, load_default=None)
    unit_name = fields.Function(lambda m: m.unit.name if m.unit else None, dump_only=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLE_VALUES))
    position_title = fields.String(load_default="", validate=validate.Length(max=120))


class UserSchema(Schema):
    id = Integer(dump_only=True)
    username = fields.String()
    full_name = fields.String()
    email = fields.String(allow_none=True)
    active = fields.Boolean()
    memberships = fields.List(fields.Nested(MembershipSchema))


class UserCreateSchema(Schema):
    username = fields.String(required=True, validate=validate.Regexp(r"^[a-zA-Z0-9._-]{3,64}$"))
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    email = fields.Email(load_default=None, allow_none=True)
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=10, max=200)
    )
    memberships = fields.List(
        fields.Nested(MembershipSchema), required=True, validate=validate.Length(min=1)
    )


class UserUpdateSchema(Schema):
    full_name = fields.String(validate=validate.Length(min=1, max=255))
    email = fields.Email(allow_none=True)
    active = fields.Boolean()
    password = fields.String(load_only=True, validate=validate.Length(min=10, max=200))
    memberships = fields.List(
        fields.Nested(MembershipSchema),
        validate=validate.Length(min=1, max=20),
        metadata={"description": "replaces the user's memberships in your organisation"},
    )


class DocumentTypeSchema(Schema):
    id = Integer()
    code = fields.String()
    name = fields.String()
    abbreviation = fields.String(allow_none=True)
    paperless_allowed = fields.Boolean()
    is_copy = fields.Boolean()


class OrgQuerySchema(Schema):
    organisation_id = Integer(required=True)


class TimestampedSchema(Schema):
    created_at = VNDateTime()


class DelegationCreateSchema(Schema):
    organisation_id = Integer(required=True)
    deputy_id = Integer(required=True)
    can_approve = fields.Boolean(load_default=True)
    can_sign = fields.Boolean(load_default=False)
    starts_at = fields.AwareDateTime(load_default=None, allow_none=True)
    ends_at = fields.AwareDateTime(required=True)
    document_type_ids = fields.List(Integer(), load_default=None, allow_none=True)
    unit_ids = fields.List(Integer(), load_default=None, allow_none=True)
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class DelegationSchema(Schema):
    id = Integer()
    organisation_id = Integer()
    delegator = fields.Function(
        lambda d: {"id": d.delegator.id, "full_name": d.delegator.full_name}
    )
    deputy = fields.Function(lambda d: {"id": d.deputy.id, "full_name": d.deputy.full_name})
    can_approve = fields.Boolean()
    can_sign = fields.Boolean()
    starts_at = VNDateTime()
    ends_at = VNDateTime()
    document_type_ids = fields.List(Integer(), allow_none=True)
    unit_ids = fields.List(Integer(), allow_none=True)
    note = fields.String()
    created_at = VNDateTime()
    revoked_at = VNDateTime(allow_none=True)
    active = fields.Function(lambda d: d.active_at(utcnow()))
