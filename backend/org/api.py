from __future__ import annotations

from flask.views import MethodView

from backend.auth.guard import current_user
from backend.core.api import Blueprint
from backend.core.idempotency import idempotent

from . import service
from .schemas import (
    DelegationCreateSchema,
    DelegationSchema,
    DocumentTypeSchema,
    OrganisationSchema,
    UnitSchema,
    UnitUpdateSchema,
    UserCreateSchema,
    UserSchema,
    UserUpdateSchema,
)

blp = Blueprint("org", __name__, url_prefix="/api", description="Organisations, units, users")


@blp.route("/organisations")
class Organisations(MethodView):
    @blp.response(200, OrganisationSchema(many=True))
    def get(self):
        """Organisations the caller belongs to"""
        return service.list_organisations(current_user())


@blp.route("/organisations/<int:organisation_id>")
class OrganisationView(MethodView):
    @blp.response(200, OrganisationSchema)
    def get(self, organisation_id: int):
        return service.get_organisation(current_user(), organisation_id)


@blp.route("/organisations/<int:organisation_id>/units")
class Units(MethodView):
    @blp.response(200, UnitSchema(many=True))
    def get(self, organisation_id: int):
        return service.list_units(current_user(), organisation_id)

    @idempotent
    @blp.arguments(UnitSchema)
    @blp.response(201, UnitSchema)
    def post(self, data: dict, organisation_id: int):
        """Create a unit (admin)"""
        return service.create_unit(
            current_user(), organisation_id, data["name"], data["abbreviation"]
        )


@blp.route("/organisations/<int:organisation_id>/units/<int:unit_id>")
class UnitView(MethodView):
    @blp.arguments(UnitUpdateSchema)
    @blp.response(200, UnitSchema)
    def patch(self, data: dict, organisation_id: int, unit_id: int):
        """Rename a unit or change its abbreviation (admin)"""
        return service.update_unit(current_user(), organisation_id, unit_id, data)


@blp.route("/organisations/<int:organisation_id>/users")
class OrganisationUsers(MethodView):
    @blp.response(200, UserSchema(many=True))
    def get(self, organisation_id: int):
        """The organisation's directory"""
        return service.list_users(current_user(), organisation_id)

    @idempotent
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    def post(self, data: dict, organisation_id: int):
        """Create a user with memberships (admin)"""
        return service.create_user(current_user(), organisation_id, data)


@blp.route("/users/<int:user_id>")
class UserView(MethodView):
    @blp.response(200, UserSchema)
    def get(self, user_id: int):
        return service.get_user(current_user(), user_id)

    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, data: dict, user_id: int):
        """Change a user: name, e-mail, active, password reset, memberships and roles (admin)"""
        return service.update_user(current_user(), user_id, data)


@blp.route("/document-types")
class DocumentTypes(MethodView):
    @blp.response(200, DocumentTypeSchema(many=True))
    def get(self):
        """The catalogue of document types (Nghị định 30, Phụ lục III)"""
        return service.list_document_types()


@blp.route("/delegations")
class Delegations(MethodView):
    @blp.response(200, DelegationSchema(many=True))
    def get(self):
        """Ủy quyền given by me or to me"""
        return service.list_delegations(current_user())

    @idempotent
    @blp.arguments(DelegationCreateSchema)
    @blp.response(201, DelegationSchema)
    def post(self, data: dict):
        """Delegate my approve and/or sign authority to a deputy for a period and scope"""
        return service.create_delegation(current_user(), data)


@blp.route("/delegations/<int:delegation_id>")
class DelegationView(MethodView):
    @blp.response(200, DelegationSchema)
    def delete(self, delegation_id: int):
        """Revoke a delegation; it stops at once"""
        return service.revoke_delegation(current_user(), delegation_id)
