"""Every /api endpoint requires a valid access token unless marked ``@public``."""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from typing import Any, TypeVar

from flask import Flask, current_app, g, request

from backend.org.models import User

from . import service

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC_BLUEPRINTS = {"api-docs"}


def public(view: F) -> F:
    view._public = True  # type: ignore[attr-defined]
    # The OpenAPI document says so too (no bearer token), for clients and test generators.
    apidoc = deepcopy(getattr(view, "_apidoc", {}))
    apidoc.setdefault("manual_doc", {})["security"] = []
    view._apidoc = apidoc  # type: ignore[attr-defined]
    return view


def _is_public() -> bool:
    # Routes outside the API blueprints (health, app shell, docs assets) need no token;
    # unknown paths fall through to their 404.
    if request.endpoint is None or request.blueprint is None:
        return True
    if request.blueprint in PUBLIC_BLUEPRINTS or request.method == "OPTIONS":
        return True
    view = current_app.view_functions.get(request.endpoint)
    view_class = getattr(view, "view_class", None)
    handler = getattr(view_class, request.method.lower(), None) if view_class else view
    return bool(getattr(handler, "_public", False))


def init_app(app: Flask) -> None:
    @app.before_request
    def _authenticate() -> None:
        if _is_public():
            return
        user, device = service.authenticate(request.headers.get("Authorization"))
        g.current_user = user
        g.current_device_id = device.id


def current_user() -> User:
    return g.current_user


def current_device_id() -> int:
    return g.current_device_id
