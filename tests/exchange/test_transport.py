"""The VXP transport and the development axis: signed headers (HMAC-SHA256 over the JSON
of the XroadVnpt- copies, the secret never sent), JSON replies, routing by recipient,
acknowledgements."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests

from backend.exchange import transport
from backend.exchange.transport import SignatureRefused, TransportError, VxpTransport
from tests.exchange.conftest import A_CODE, SECRETS, TESTER, VPCP

SECRET = "bí-mật-hệ-thống"


def signed(**params) -> dict[str, str]:
    return transport.sign_headers(
        {"systemid": "tester", "timestamp": transport.vxp_timestamp(), **params}, SECRET
    )


def verify(headers, required=("docId",)):
    return transport.verify_headers(headers, {"tester": SECRET}, list(required))


def test_signed_headers_verify_and_never_carry_the_secret():
    headers = signed(docId="abc-123")
    assert verify(headers)["docId"] == "abc-123"
    assert SECRET not in json.dumps(headers, ensure_ascii=False)
    assert headers["XroadVnpt-sign-header-key"] == "systemid;timestamp;docId"
    assert json.loads(headers["XroadVnpt-sign-header"]) == {
        "XroadVnpt-systemid": "tester",
        "XroadVnpt-timestamp": headers["timestamp"],
        "XroadVnpt-docId": "abc-123",
    }


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h: h.update({"docId": "other"}),  # the plain header changed
        lambda h: h.update({"XroadVnpt-docId": "other"}),  # its copy changed
        lambda h: h.update({"XroadVnpt-hash-header": "0" * 64}),  # a made-up HMAC
        lambda h: h.update(
            {"XroadVnpt-sign-header": h["XroadVnpt-sign-header"].replace("abc-123", "other")}
        ),
        lambda h: h.pop("XroadVnpt-sign-header"),
    ],
)
def test_any_change_to_the_signed_headers_is_refused(tamper):
    headers = signed(docId="abc-123")
    tamper(headers)
    with pytest.raises(SignatureRefused):
        verify(headers)


def test_wrong_secret_unknown_system_stale_time_and_unsigned_parameters_are_refused():
    wrong = transport.sign_headers(
        {"systemid": "tester", "timestamp": transport.vxp_timestamp(), "docId": "x"}, "khác"
    )
    with pytest.raises(SignatureRefused, match="hash-header"):
        verify(wrong)
    stranger = transport.sign_headers(
        {"systemid": "la", "timestamp": transport.vxp_timestamp(), "docId": "x"}, SECRET
    )
    with pytest.raises(SignatureRefused, match="unknown system"):
        verify(stranger)
    old = transport.sign_headers(
        {
            "systemid": "tester",
            "timestamp": transport.vxp_timestamp(datetime.now(UTC) - timedelta(minutes=10)),
            "docId": "x",
        },
        SECRET,
    )
    with pytest.raises(SignatureRefused, match="timestamp"):
        verify(old)
    unsigned = signed()
    unsigned["docId"] = "x"  # sent, but outside the signature
    with pytest.raises(SignatureRefused, match="unsigned headers: docId"):
        verify(unsigned)


def test_the_axis_routes_by_recipient_and_answers_json(axis):
    tester = VxpTransport(axis.url, "tester", SECRETS["tester"])
    vpcp = VxpTransport(axis.url, "inst-b", SECRETS["inst-b"])
    nghe_an = VxpTransport(axis.url, "inst-a", SECRETS["inst-a"])
    doc_id = tester.send(
        b"<edXML/>", message_type="edoc", from_code=TESTER, to_codes=[VPCP, A_CODE]
    )
    assert doc_id
    [for_vpcp] = vpcp.received("edoc")
    [for_nghe_an] = nghe_an.received("edoc")
    assert (for_vpcp.from_code, for_vpcp.to_code) == (TESTER, VPCP)
    assert for_nghe_an.to_code == A_CODE
    assert vpcp.fetch(for_vpcp.doc_id) == b"<edXML/>"
    # one system cannot read another's message
    with pytest.raises(TransportError) as refused:
        nghe_an.fetch(for_vpcp.doc_id)
    assert not refused.value.retryable
    vpcp.acknowledge(for_vpcp.doc_id, "done")
    assert vpcp.received("edoc") == []
    assert [s["receiveStatus"] for s in tester.sent()] == ["done", "initial"]


def test_the_axis_refuses_a_system_sending_for_another_agency(axis):
    tester = VxpTransport(axis.url, "tester", SECRETS["tester"])
    with pytest.raises(TransportError, match="does not send for"):
        tester.send(b"<edXML/>", message_type="edoc", from_code=A_CODE, to_codes=[VPCP])
    with pytest.raises(TransportError, match="unknown recipients"):
        tester.send(b"<edXML/>", message_type="edoc", from_code=TESTER, to_codes=["000.00.00.Z99"])


def test_a_body_swapped_in_transit_is_refused(axis):
    headers = transport.sign_headers(
        {
            "systemid": "tester",
            "timestamp": transport.vxp_timestamp(),
            "servicetype": "eDoc",
            "messagetype": "edoc",
            "from": TESTER,
            "to": json.dumps([VPCP]),
            "hash-file": transport.file_hash(b"<edXML>original</edXML>"),
        },
        SECRETS["tester"],
    )
    r = requests.post(
        f"{axis.url}/sendEdoc", data=b"<edXML>swapped</edXML>", headers=headers, timeout=5
    )
    assert r.status_code == 400
    assert r.json() == {
        "status": "FAIL",
        "ErrorCode": "400",
        "ErrorDesc": "hash-file does not match the body",
        "data": [],
    }


def test_an_unreachable_axis_is_a_retryable_error():
    dead = VxpTransport("http://127.0.0.1:9", "tester", SECRETS["tester"], timeout=2)
    with pytest.raises(TransportError) as failed:
        dead.received("edoc")
    assert failed.value.retryable
