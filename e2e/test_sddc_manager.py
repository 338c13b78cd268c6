"""SDDC Manager tokens: POST /v1/tokens, PATCH /v1/tokens/access-token/refresh,
DELETE /v1/tokens/refresh-token — by hand and through vmware.sddc_manager.

Failed logins are throttled per user name and address (from the sixth failure) and,
for many user names, per address (from the eleventh name); all tests log in from
127.0.0.1 and keep well below that: one failure in test_vsphere_session and the two
below. (test_hostile_auth.py attacks servers of its own.)
"""

import pytest

from vcf.fleet_lcm.v1_client import Tasks as FleetTasks
from vmware.sddc_manager.model_client import TokenCreationSpec, TokenPair
from vmware.sddc_manager.v1.tokens.access_token_client import Refresh
from vmware.sddc_manager.v1.tokens_client import RefreshToken
from vmware.sddc_manager.v1_client import Tokens
from vmware.vapi.bindings.error import UnresolvedError

from harness import ADMIN_PASSWORD, ADMIN_USER, rest_stub_config


@pytest.fixture
def anonymous_sddc(depotd, sdk_session):
    """SDDC Manager bindings without credentials: the token operations need none."""
    return rest_stub_config(sdk_session(), depotd.url)


def assert_token_works(depotd, http, token):
    """An access token is good if a bearer-authenticated fleet-lcm call accepts it."""
    r = http.get(f"{depotd.url}/fleet-lcm/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text


def test_create_token_by_hand(depotd, http):
    r = http.post(f"{depotd.url}/v1/tokens", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD})
    assert r.status_code in (200, 201), r.text
    assert r.headers["Content-Type"].startswith("application/json")
    pair = r.json()
    assert isinstance(pair["accessToken"], str) and pair["accessToken"]
    assert isinstance(pair["refreshToken"]["id"], str) and pair["refreshToken"]["id"]
    assert pair["accessToken"] != pair["refreshToken"]["id"]
    assert_token_works(depotd, http, pair["accessToken"])


def test_create_token_with_sdk(depotd, http, anonymous_sddc):
    pair = Tokens(anonymous_sddc).create_token(TokenCreationSpec(username=ADMIN_USER, password=ADMIN_PASSWORD))
    assert isinstance(pair, TokenPair)
    assert pair.access_token and pair.refresh_token.id
    assert_token_works(depotd, http, pair.access_token)


def test_sdk_token_drives_fleet_bindings(depotd, sdk_session, anonymous_sddc):
    pair = Tokens(anonymous_sddc).create_token(TokenCreationSpec(username=ADMIN_USER, password=ADMIN_PASSWORD))
    fleet = rest_stub_config(sdk_session(), f"{depotd.url}/fleet-lcm", pair.access_token)
    assert FleetTasks(fleet).get_tasks().page_metadata is not None


def test_refresh_by_hand(depotd, http):
    pair = http.post(f"{depotd.url}/v1/tokens", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD}).json()
    # The body is the refresh token id as a JSON string (what the SDK sends).
    r = http.patch(f"{depotd.url}/v1/tokens/access-token/refresh", json=pair["refreshToken"]["id"])
    assert r.status_code == 200, r.text
    access = r.json()
    assert isinstance(access, str) and access and access != pair["accessToken"]
    assert_token_works(depotd, http, access)


def test_refresh_with_sdk(depotd, http, anonymous_sddc):
    pair = Tokens(anonymous_sddc).create_token(TokenCreationSpec(username=ADMIN_USER, password=ADMIN_PASSWORD))
    access = Refresh(anonymous_sddc).refresh_access_token(pair.refresh_token.id)
    assert isinstance(access, str) and access and access != pair.access_token
    assert_token_works(depotd, http, access)


def test_invalidated_refresh_token_cannot_refresh(depotd, http, anonymous_sddc):
    pair = Tokens(anonymous_sddc).create_token(TokenCreationSpec(username=ADMIN_USER, password=ADMIN_PASSWORD))
    RefreshToken(anonymous_sddc).invalidate_refresh_token(pair.refresh_token.id)
    r = http.patch(f"{depotd.url}/v1/tokens/access-token/refresh", json=pair.refresh_token.id)
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["errorCode"]


def test_wrong_credentials_by_hand(depotd, http):
    r = http.post(f"{depotd.url}/v1/tokens", json={"username": ADMIN_USER, "password": "not-the-password"})
    assert r.status_code == 401, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert isinstance(body["errorCode"], str) and body["errorCode"]
    assert "not-the-password" not in r.text


def test_wrong_credentials_with_sdk(anonymous_sddc):
    # create_token declares only 400 and 500: the SDK turns the 401 into UnresolvedError.
    with pytest.raises(UnresolvedError):
        Tokens(anonymous_sddc).create_token(TokenCreationSpec(username=ADMIN_USER, password="not-the-password"))


def test_missing_fields_are_bad_request(depotd, http):
    r = http.post(f"{depotd.url}/v1/tokens", json={"username": ADMIN_USER})
    assert r.status_code == 400, r.text
    assert r.json()["errorCode"]
