from __future__ import annotations

from flask import request
from flask.views import MethodView

from backend.core.api import Blueprint
from backend.core.ratelimit import limiter, login_account_key, setting

from . import service
from .guard import current_device_id, current_user, public
from .schemas import DeviceSchema, LoginSchema, MeSchema, RefreshSchema, TokenSchema

blp = Blueprint("auth", __name__, url_prefix="/api", description="Sign-in, tokens, devices")


def _client_ip() -> str:
    return request.remote_addr or ""


def _mark_current(device):
    device.current = device.id == current_device_id()
    return device


@blp.route("/auth/login")
class Login(MethodView):
    decorators = [
        limiter.limit(setting("login_rate_limit_ip"), scope="login-ip"),
        limiter.limit(
            setting("login_rate_limit_account"),
            key_func=login_account_key,
            scope="login-account",
        ),
    ]

    @public
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    def post(self, data: dict):
        """Sign in on a named device: a 15-minute access token and a refresh token"""
        pair = service.login(
            data["username"],
            data["password"],
            data["device_name"],
            request.headers.get("User-Agent", ""),
            _client_ip(),
        )
        pair.device.current = True
        return pair


@blp.route("/auth/refresh")
class Refresh(MethodView):
    @public
    @blp.arguments(RefreshSchema)
    @blp.response(200, TokenSchema)
    def post(self, data: dict):
        """Swap a refresh token for a new pair (the old one stops working)"""
        pair = service.refresh(data["refresh_token"], _client_ip())
        pair.device.current = True
        return pair


@blp.route("/auth/logout")
class Logout(MethodView):
    @blp.response(204)
    def post(self):
        """Sign this device out"""
        service.logout(current_user(), current_device_id())


@blp.route("/auth/devices")
class Devices(MethodView):
    @blp.response(200, DeviceSchema(many=True))
    def get(self):
        """The caller's devices, newest first"""
        return [_mark_current(d) for d in service.list_devices(current_user())]


@blp.route("/auth/devices/<int:device_id>")
class DeviceView(MethodView):
    @blp.response(204)
    def delete(self, device_id: int):
        """Revoke a device (a lost phone): it is cut off at once"""
        service.revoke_device(current_user(), device_id)


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self):
        """Who am I: user, memberships, this device"""
        user = current_user()
        return {
            "id": user.id,
            "username": user.username,
            "full_name": user.full_name,
            "email": user.email,
            "active": user.active,
            "memberships": user.memberships,
            "device": _mark_current(service.get_device(user, current_device_id())),
        }
