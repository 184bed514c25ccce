from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.notifications.push_service import PushService, start


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService()
    server = start(service)
    yield service
    server.shutdown()
    server.server_close()
