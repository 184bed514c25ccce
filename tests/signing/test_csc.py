"""CSC v1 remote signing against certomancer-csc-dummy serving our test PKI on loopback:
each signature validates, and a batch of 20 takes exactly one authorization."""

from __future__ import annotations

from datetime import UTC, datetime

from signing import pades
from signing.devpki import ARCH
from signing.pades import Level, SignatureField
from signing.providers.csc import CscProvider
from signing.samples import decision
from signing.validation import validate

NOW = datetime.now(UTC)


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
