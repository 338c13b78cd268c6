"""Malformed and unexpected vAPI JSON-RPC requests, posted by hand to POST /api.

Every answer is HTTP 200 (any other status makes the SDK raise a transport error
instead of the typed vAPI error) carrying `result.error` = {"ERROR": {<error id>: {...}}};
the request id is echoed, or null when it cannot be read.
"""

import json

import pytest

from harness import ADMIN_PASSWORD, ADMIN_USER

STD = "com.vmware.vapi.std.errors."
# What the SDK sends as operation input for an operation without parameters.
NO_INPUT = {"STRUCTURE": {"operation-input": {}}}
USER_PASS = {"schemeId": "com.vmware.vapi.std.security.user_pass", "userName": ADMIN_USER, "password": ADMIN_PASSWORD}


def request(service="com.vmware.cis.session", operation="get", security=None, id_="7", input_=NO_INPUT) -> dict:
    ctx = {"appCtx": {"opId": "e2e-wire-test"}}
    if security is not None:
        ctx["securityCtx"] = security
    body = {"jsonrpc": "2.0", "method": "invoke",
            "params": {"serviceId": service, "operationId": operation, "input": input_, "ctx": ctx}}
    if id_ is not None:
        body["id"] = id_
    return body


@pytest.fixture
def post(depotd, http):
    """Posts raw bytes (or a JSON value) to /api; returns the parsed 200 response."""

    def post(payload) -> dict:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        r = http.post(f"{depotd.url}/api", data=data, headers={"Content-Type": "application/json"})
        assert r.status_code == 200, f"{r.status_code} {r.text}"
        assert r.headers["Content-Type"].startswith("application/json")
        reply = r.json()
        assert reply["jsonrpc"] == "2.0"
        return reply

    return post


def error_of(reply: dict) -> tuple:
    """(error id, fields) of a JSON-RPC reply carrying a vAPI error."""
    assert "result" in reply, f"expected a vAPI error in result, not a JSON-RPC error: {reply}"
    err = reply["result"]["error"]["ERROR"]
    assert len(err) == 1, err
    (name, fields), = err.items()
    return name, fields


def test_truncated_json(post):
    reply = post(json.dumps(request()).encode()[:-15])
    assert reply["id"] is None
    assert error_of(reply)[0] == STD + "invalid_request"


def test_not_json_at_all(post):
    reply = post(b"\x00\xffnot json")
    assert reply["id"] is None
    assert error_of(reply)[0] == STD + "invalid_request"


def test_wrong_jsonrpc_version(post):
    body = request()
    body["jsonrpc"] = "1.0"
    reply = post(body)
    assert reply["id"] == "7"
    assert error_of(reply)[0] == STD + "invalid_request"


def test_missing_id(post):
    reply = post(request(id_=None))
    assert reply["id"] is None
    assert error_of(reply)[0] == STD + "invalid_request"


def test_unknown_method(post):
    body = request()
    body["method"] = "frobnicate"
    reply = post(body)
    assert reply["id"] == "7"
    assert error_of(reply)[0] == STD + "invalid_request"


def test_unknown_service(post):
    reply = post(request(service="com.example.nothing", operation="get", security=USER_PASS))
    assert reply["id"] == "7"
    assert error_of(reply)[0] == STD + "operation_not_found"


def test_unknown_operation(post):
    reply = post(request(service="com.vmware.cis.session", operation="frobnicate", security=USER_PASS))
    assert reply["id"] == "7"
    assert error_of(reply)[0] == STD + "operation_not_found"


def test_unknown_security_scheme(post):
    reply = post(request(security={"schemeId": "com.example.scheme", "token": "x"}))
    assert reply["id"] == "7"
    name, fields = error_of(reply)
    assert name == STD + "unauthenticated"
    # Standard error fields: messages is a list of typed LocalizableMessage structures.
    messages = fields["messages"]
    assert isinstance(messages, list) and messages
    assert "com.vmware.vapi.std.localizable_message" in messages[0]["STRUCTURE"]


def test_unknown_session_id(post):
    reply = post(request(security={"schemeId": "com.vmware.vapi.std.security.session_id", "sessionId": "0" * 64}))
    assert error_of(reply)[0] == STD + "unauthenticated"


def test_numeric_id_is_echoed(post):
    reply = post(request(operation="frobnicate", id_=42))
    assert reply["id"] == 42
