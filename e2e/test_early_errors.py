"""Requests refused before their body was read still get their error answer.

`requests` writes the whole body before it reads the answer. A server that answered
early and closed the connection at once would leave it with a reset or a TLS EOF
instead of the answer; depotd reads and discards the rest of the body (within a
budget), answers with `Connection: close`, then closes.
"""

import requests

MIB = 1 << 20
JSON = {"Content-Type": "application/json"}


def padded(prefix: bytes, size: int, suffix: bytes) -> bytes:
    """One JSON document of exactly `size` bytes: a long string between the two parts."""
    return prefix + b"x" * (size - len(prefix) - len(suffix)) + suffix


def still_serving(depotd, http: requests.Session) -> None:
    """The next request on the same session (a new connection) is served."""
    assert http.get(f"{depotd.url}/health", timeout=10).status_code == 200


def test_a_20_mib_json_rpc_request_gets_its_vapi_error(depotd, http):
    body = padded(b'{"jsonrpc": "2.0", "id": "big", "method": "invoke", "params": {'
                  b'"serviceId": "com.vmware.cis.session", "operationId": "get", '
                  b'"input": {"STRUCTURE": {"operation-input": {}}}, "ctx": {"appCtx": {"x": "',
                  20 * MIB, b'"}}}}')
    r = http.post(f"{depotd.url}/api", data=body, headers=JSON, timeout=120)
    assert r.status_code == 200, r.text
    assert r.headers.get("Connection") == "close"
    reply = r.json()
    assert reply["jsonrpc"] == "2.0"
    assert list(reply["result"]["error"]["ERROR"]) == ["com.vmware.vapi.std.errors.invalid_request"], reply
    still_serving(depotd, http)


def test_a_64_mib_rest_body_gets_its_413(depotd, http, bearer_token):
    body = padded(b'{"username": "', 64 * MIB, b'", "password": "x"}')
    for method, path, headers in [
        ("POST", "/v1/tokens", JSON),
        ("PUT", "/v1/system/settings/depot", {**JSON, "Authorization": f"Bearer {bearer_token}"}),
    ]:
        r = http.request(method, f"{depotd.url}{path}", data=body, headers=headers, timeout=120)
        assert r.status_code == 413, f"{method} {path}: {r.status_code} {r.text}"
        assert r.headers.get("Connection") == "close"
        assert r.headers["Content-Type"].startswith("application/json")
        assert r.json()["errorCode"] == "PAYLOAD_TOO_LARGE", r.text
    still_serving(depotd, http)


def test_a_large_unauthenticated_post_gets_its_401(depotd, http):
    body = padded(b'{"x": "', 32 * MIB, b'"}')
    for headers in [JSON, {**JSON, "Authorization": "Bearer expired-or-made-up"}]:
        r = http.put(f"{depotd.url}/v1/system/settings/depot", data=body, headers=headers, timeout=120)
        assert r.status_code == 401, f"{r.status_code} {r.text}"
        assert r.headers.get("Connection") == "close"
        assert r.json()["errorCode"], r.text
    still_serving(depotd, http)


def test_a_vsphere_rest_call_with_a_large_body_gets_its_vapi_error(depotd, http):
    """The vSphere REST binding reads the body before it checks the session: a body over
    the limit is a 413 whose body is a vAPI `INVALID_REQUEST`."""
    body = padded(b'{"x": "', 20 * MIB, b'"}')
    r = http.post(f"{depotd.url}/api/session", data=body,
                  headers={**JSON, "vmware-api-session-id": "0" * 64}, timeout=120)
    assert r.status_code == 413, f"{r.status_code} {r.text}"
    assert r.headers.get("Connection") == "close"
    assert r.json()["error_type"] == "INVALID_REQUEST", r.text
    still_serving(depotd, http)
