"""Rate limits (flask-limiter): in memory by default, in Redis when REDIS_URL is set, so
several web nodes share one count."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, headers_enabled=True, strategy="fixed-window")


def setting(name: str) -> Callable[[], str]:
    """A limit read from the app's settings at request time."""
    return lambda: getattr(current_app.extensions["settings"], name)


def login_account_key() -> str:
    """Count sign-in attempts per account name, whichever address they come from."""
    body = request.get_json(silent=True)
    username = body.get("username") if isinstance(body, dict) else None
    if not isinstance(username, str):
        return f"ip:{get_remote_address()}"
    return f"user:{username.strip().lower()}"


def init_app(app: Flask, redis_url: str) -> None:
    app.config["RATELIMIT_STORAGE_URI"] = redis_url or "memory://"
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "trinhky")
    limiter.init_app(app)
