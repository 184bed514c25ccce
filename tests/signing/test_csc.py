"""CSC v1 remote signing against certomancer-csc-dummy serving our test PKI on loopback:
each signature validates, and a batch of 20 takes exactly one authorization."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from datetime import UTC, datetime

import pytest
from aiohttp import web
from csc_dummy.csc_dummy_server import CSCWithCertomancer

from signing import pades
from signing.devpki import ARCH
from signing.errors import ProviderError
from signing.pades import Level, SignatureField
from signing.providers.csc import CscProvider
from signing.validation import validate
from tests.signing.conftest import free_port
from tests.signing.drafts import decision

NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def csc_service(pki_env):
    calls: Counter[str] = Counter()

    @web.middleware
    async def count(request, handler):
        calls[request.path] += 1
        return await handler(request)

    csc = CSCWithCertomancer(pki_env.pki.config)
    csc.register_routes()
    csc.app.middlewares.append(count)
    port = free_port()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(csc.app)

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    import time

    for _ in range(100):  # until it listens
        try:
            CscProvider(f"http://127.0.0.1:{port}")._post("info", {})
            break
        except ProviderError:
            time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", calls
    loop.call_soon_threadsafe(loop.stop)


def test_csc_signs_and_the_result_validates(pki_env, csc_service):
    url, _ = csc_service
    provider = CscProvider(url)
    credential = provider.credential(f"{ARCH}/phochutich1")
    assert credential.certificate.subject.native["common_name"] == "Lê Thị Hồng Hạnh"
    pdf = decision("Lê Thị Hồng Hạnh")
    signed, outcome = pades.sign(
        pdf,
        credential,
        provider,
        SignatureField("Sig"),
        level=Level.B_LT,
        trust=pki_env.trust(),
        signing_time=NOW,
    )
    assert outcome.achieved == Level.B_LT
    assert validate(signed, [pki_env.pki.trust_root()]).ok


def test_a_batch_of_twenty_via_csc_is_one_authorization(pki_env, csc_service):
    url, calls = csc_service
    provider = CscProvider(url)
    credential = provider.credential(f"{ARCH}/phochutich1")
    before = calls["/csc/v1/credentials/authorize"], calls["/csc/v1/signatures/signHash"]
    documents = [(decision("Lê Thị Hồng Hạnh"), SignatureField("Sig")) for _ in range(20)]
    items = pades.sign_batch(
        documents, credential, provider, level=Level.B_T, trust=pki_env.trust(), signing_time=NOW
    )
    assert all(item.error is None and item.outcome.achieved == Level.B_T for item in items)
    after = calls["/csc/v1/credentials/authorize"], calls["/csc/v1/signatures/signHash"]
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)
    assert validate(items[-1].pdf, [pki_env.pki.trust_root()]).ok
