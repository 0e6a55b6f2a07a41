"""Authentication and the route guards: every mode, every way a credential can be wrong.

Real keys (``cryptography``), real signatures (python-jose), and the JWKS and discovery
documents served over real HTTP on a loopback port (``tests/identity_provider.py``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jose import jwt

from interview_analytics.http import credentials
from interview_analytics.http.access import guard as authorize
from interview_analytics.http.audit import AuditDecision
from interview_analytics.http.auth import AuthConfig, AuthConfigError, create_authenticator
from interview_analytics.http.credentials import (
    KeyRing,
    attempted_auth_type,
    challenge,
    key_fingerprint,
)
from interview_analytics.http.identity import Authenticator, AuthError, Identity
from interview_analytics.http.tenants import can_see_meeting, ensure_can_see_meeting
from interview_analytics.http.tokens import JwtAuthenticator
from interview_analytics.ops.auth import build_audit_sinks, build_authenticator
from interview_analytics.ops.settings import Settings, SettingsError
from tests.identity_provider import IdentityProvider, b64url, hs256_by_hand, unsigned_token

USER_KEY = "user-key-0123456789abcdef"
SERVICE_KEY = "service-key-fedcba9876543210"
SECRET = "a-development-secret-of-32-bytes!!"
AUDIENCE = "interview-analytics"
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@pytest.fixture(scope="module")
def idp() -> Iterator[IdentityProvider]:
    with IdentityProvider() as provider:
        yield provider


async def refused(authenticator: Authenticator, headers: dict[str, str]) -> AuthError:
    with pytest.raises(AuthError) as caught:
        await authenticator.authenticate(headers)
    return caught.value


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def hs256(claims: dict[str, Any], *, secret: str = SECRET, **headers: Any) -> str:
    body = {"exp": int(time.time()) + 300, **claims}
    return str(jwt.encode(body, secret, algorithm="HS256", headers=headers or None))


def jwks_config(idp: IdentityProvider, **overrides: Any) -> AuthConfig:
    options: dict[str, Any] = {
        "mode": "jwt",
        "oidc_jwks_url": idp.jwks_url,
        "oidc_issuer_url": idp.issuer,
        "oidc_audience": AUDIENCE,
        "jwks_min_refresh_interval_sec": 0.0,
        **overrides,
    }
    return AuthConfig(**options)


# ---------------------------------------------------------------------- AUTH_MODE=none


async def test_mode_none_lets_everyone_in_as_anonymous_through_every_guard() -> None:
    identity = await create_authenticator(AuthConfig(mode="none")).authenticate({})
    assert identity == Identity("anonymous", "user", "none")
    for need in ("any", "user", "service"):
        authorize(identity, need)  # the admin API is usable locally
    assert can_see_meeting(identity, "tenant-a")


# ---------------------------------------------------------------------- API keys


@pytest.fixture
def api_keys() -> Authenticator:
    return create_authenticator(
        AuthConfig(mode="api_key", api_keys=(USER_KEY,), service_api_keys=(SERVICE_KEY,))
    )


async def test_a_user_key_is_a_user_named_by_its_fingerprint(api_keys: Authenticator) -> None:
    identity = await api_keys.authenticate({"X-API-Key": USER_KEY})
    assert (identity.kind, identity.auth_type) == ("user", "api_key")
    assert identity.subject == key_fingerprint(USER_KEY)
    assert identity.subject == "key:" + hashlib.sha256(USER_KEY.encode()).hexdigest()[:12]
    assert USER_KEY not in repr(identity)


async def test_a_service_key_is_a_service(api_keys: Authenticator) -> None:
    identity = await api_keys.authenticate({"x-api-key": SERVICE_KEY})
    assert (identity.kind, identity.auth_type) == ("service", "service_api_key")


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_credentials"),
        ({"X-API-Key": "  "}, "missing_credentials"),
        ({"Authorization": "Bearer " + USER_KEY}, "missing_credentials"),
        ({"X-API-Key": "wrong"}, "invalid_api_key"),
        ({"X-API-Key": USER_KEY + "x"}, "invalid_api_key"),
        ({"X-API-Key": USER_KEY[:-1]}, "invalid_api_key"),
    ],
)
async def test_missing_and_wrong_keys_are_401(
    api_keys: Authenticator, headers: dict[str, str], code: str
) -> None:
    error = await refused(api_keys, headers)
    assert (error.status, error.code) == (401, code)
    assert challenge(error) == {"WWW-Authenticate": "Bearer"} or code == "invalid_api_key"


def test_every_key_is_compared_whichever_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = KeyRing(["u1" * 10, "u2" * 10, USER_KEY], ["s1" * 10, SERVICE_KEY])
    calls: list[tuple[bytes, bytes]] = []
    original = hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return original(a, b)

    monkeypatch.setattr(credentials.hmac, "compare_digest", counting)
    for candidate in ("u1" * 10, SERVICE_KEY, "nothing"):
        calls.clear()
        keys.match(candidate)
        assert len(calls) == 5  # no early exit on a match
        # Digests of equal length, so the candidate's length does not show in the timing.
        assert {len(a) for a, b in calls} | {len(b) for a, b in calls} == {32}


# ---------------------------------------------------------------------- JWT, shared secret


@pytest.fixture
def shared() -> JwtAuthenticator:
    authenticator = create_authenticator(
        AuthConfig(mode="jwt", jwt_shared_secret=SECRET, oidc_audience=AUDIENCE)
    )
    assert isinstance(authenticator, JwtAuthenticator)
    return authenticator


async def test_a_user_token(shared: JwtAuthenticator) -> None:
    identity = await shared.authenticate(bearer(hs256({"sub": "alice", "aud": AUDIENCE})))
    assert identity == Identity("alice", "user", "jwt", None)


@pytest.mark.parametrize(
    "claims",
    [
        {"token_type": "client_credentials"},
        {"token_type": "m2m"},
        {"roles": ["viewer", "service"]},
        {"roles": "viewer admin"},
        {"roles": "viewer,admin"},
    ],
)
async def test_a_service_token_by_claim_or_role(
    shared: JwtAuthenticator, claims: dict[str, Any]
) -> None:
    token = hs256({"sub": "billing-bot", "aud": AUDIENCE, **claims})
    identity = await shared.authenticate(bearer(token))
    assert (identity.subject, identity.kind) == ("billing-bot", "service")


async def test_roles_may_sit_in_a_nested_claim() -> None:
    authenticator = create_authenticator(
        AuthConfig(mode="jwt", jwt_shared_secret=SECRET, service_role_claim="realm_access.roles")
    )
    token = hs256({"sub": "svc", "realm_access": {"roles": ["offline", "service"]}})
    assert (await authenticator.authenticate(bearer(token))).is_service
    token = hs256({"sub": "bob", "roles": ["service"]})  # not where the setting points
    assert not (await authenticator.authenticate(bearer(token))).is_service


async def test_other_roles_and_claims_make_a_user(shared: JwtAuthenticator) -> None:
    token = hs256({"sub": "u", "aud": AUDIENCE, "token_type": "Bearer", "roles": ["viewer"]})
    assert (await shared.authenticate(bearer(token))).kind == "user"


async def test_subject_falls_back_to_the_client_id(shared: JwtAuthenticator) -> None:
    token = hs256({"azp": "crm", "aud": AUDIENCE, "token_type": "service"})
    assert (await shared.authenticate(bearer(token))).subject == "crm"
    error = await refused(shared, bearer(hs256({"aud": AUDIENCE})))
    assert error.code == "invalid_token"


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        ({"exp": int(time.time()) - 3600}, "token_expired"),
        ({"exp": None}, "token_missing_exp"),
        ({"exp": "tomorrow"}, "invalid_token"),
        ({"nbf": int(time.time()) + 3600}, "token_not_yet_valid"),
        ({"aud": "some-other-app"}, "invalid_audience"),
        ({"aud": ["a", "b"]}, "invalid_audience"),
        ({"aud": None}, "invalid_audience"),
    ],
)
async def test_bad_claims_are_401_with_their_own_code(
    shared: JwtAuthenticator, claims: dict[str, Any], code: str
) -> None:
    body = {"sub": "alice", "aud": AUDIENCE, "exp": int(time.time()) + 300, **claims}
    body = {key: value for key, value in body.items() if value is not None}
    token = str(jwt.encode(body, SECRET, algorithm="HS256"))
    error = await refused(shared, bearer(token))
    assert (error.status, error.code) == (401, code)
    assert challenge(error) == {"WWW-Authenticate": 'Bearer error="invalid_token"'}


async def test_the_clock_skew_is_allowed(shared: JwtAuthenticator) -> None:
    now = int(time.time())
    token = hs256({"sub": "a", "aud": AUDIENCE, "exp": now - 10, "nbf": now + 10})
    assert (await shared.authenticate(bearer(token))).subject == "a"  # 30 s of skew
    token = hs256({"sub": "a", "aud": AUDIENCE, "exp": now - 60})
    assert (await refused(shared, bearer(token))).code == "token_expired"


async def test_alg_none_is_refused(shared: JwtAuthenticator) -> None:
    claims = {"sub": "mallory", "aud": AUDIENCE, "exp": int(time.time()) + 300}
    for alg in ("none", "None", "NONE"):
        token = unsigned_token({"alg": alg, "typ": "JWT"}, claims)
        error = await refused(shared, bearer(token))
        assert (error.status, error.code) == (401, "unsupported_algorithm")
    error = await refused(shared, bearer(unsigned_token({"typ": "JWT"}, claims)))
    assert error.code == "unsupported_algorithm"


async def test_algorithms_not_configured_are_refused(shared: JwtAuthenticator) -> None:
    body = {"sub": "a", "aud": AUDIENCE, "exp": int(time.time()) + 300}
    token = str(jwt.encode(body, SECRET, algorithm="HS512"))
    assert (await refused(shared, bearer(token))).code == "unsupported_algorithm"


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        ("Basic dXNlcjpwYXNz", "invalid_authorization"),
        ("Bearer", "invalid_authorization"),
        ("Bearer a b", "invalid_authorization"),
        ("Bearer not-a-token", "invalid_token"),
        ("Bearer a.b.c", "invalid_token"),
        ("Bearer " + "a" * 20_000, "invalid_token"),
    ],
)
async def test_malformed_authorization(
    shared: JwtAuthenticator, authorization: str, code: str
) -> None:
    error = await refused(shared, {"Authorization": authorization})
    assert (error.status, error.code) == (401, code)


async def test_a_token_signed_with_another_secret_is_refused(shared: JwtAuthenticator) -> None:
    token = hs256({"sub": "a", "aud": AUDIENCE}, secret="another-secret-of-32-bytes-length")
    assert (await refused(shared, bearer(token))).code == "invalid_token"
    # Tampered claims under the original signature.
    head, _, signature = hs256({"sub": "a", "aud": AUDIENCE}).split(".")
    forged = b64url(b'{"sub":"admin","aud":"interview-analytics","exp":9999999999}')
    assert (await refused(shared, bearer(f"{head}.{forged}.{signature}"))).code == "invalid_token"


async def test_jwt_mode_without_the_fallback_takes_no_api_keys(
    shared: JwtAuthenticator,
) -> None:
    error = await refused(shared, {"X-API-Key": SERVICE_KEY})
    assert (error.status, error.code) == (401, "api_key_not_accepted")
    assert (await refused(shared, {})).code == "missing_credentials"


async def test_the_service_key_fallback_in_jwt_mode() -> None:
    authenticator = create_authenticator(
        AuthConfig(
            mode="jwt",
            jwt_shared_secret=SECRET,
            api_keys=(USER_KEY,),
            service_api_keys=(SERVICE_KEY,),
            allow_service_api_key_in_jwt_mode=True,
        )
    )
    identity = await authenticator.authenticate({"X-API-Key": SERVICE_KEY})
    assert (identity.kind, identity.auth_type) == ("service", "service_api_key")
    # Only service keys: user identities in jwt mode come from tokens.
    assert (await refused(authenticator, {"X-API-Key": USER_KEY})).code == "invalid_api_key"
    # A bearer token wins over a key: a bad token is not rescued by a good key.
    headers = {"X-API-Key": SERVICE_KEY, **bearer("garbage")}
    assert (await refused(authenticator, headers)).code == "invalid_token"


# ---------------------------------------------------------------------- tenants


async def test_the_tenant_claim_confines_a_user() -> None:
    authenticator = create_authenticator(
        AuthConfig(mode="jwt", jwt_shared_secret=SECRET, tenant_claim="tenant")
    )
    alice = await authenticator.authenticate(bearer(hs256({"sub": "alice", "tenant": "acme"})))
    assert alice.tenant == "acme"
    assert can_see_meeting(alice, "acme")
    assert not can_see_meeting(alice, "globex")
    assert not can_see_meeting(alice, None)
    with pytest.raises(AuthError) as caught:
        ensure_can_see_meeting(alice, "globex")
    assert (caught.value.status, caught.value.code) == (403, "forbidden_tenant")
    error = await refused(authenticator, bearer(hs256({"sub": "bob"})))
    assert (error.status, error.code) == (403, "tenant_required")
    # Services see every tenant's meetings, with or without a tenant of their own.
    service = await authenticator.authenticate(bearer(hs256({"sub": "s", "roles": "service"})))
    assert service.tenant is None
    assert can_see_meeting(service, "globex")


def test_without_tenants_users_see_every_meeting() -> None:
    assert can_see_meeting(Identity("alice", "user", "jwt"), "acme")
    assert can_see_meeting(Identity("key:abc", "user", "api_key"), None)


# ---------------------------------------------------------------------- guards


@pytest.mark.parametrize(
    ("kind", "need", "allowed"),
    [
        ("user", "any", True),
        ("service", "any", True),
        ("user", "user", True),
        ("service", "user", False),
        ("user", "service", False),
        ("service", "service", True),
    ],
)
def test_authorize(kind: Any, need: Any, allowed: bool) -> None:
    identity = Identity("x", kind, "jwt")
    if allowed:
        authorize(identity, need)
        return
    with pytest.raises(AuthError) as caught:
        authorize(identity, need)
    assert (caught.value.status, caught.value.code) == (403, "forbidden_identity_kind")
    assert challenge(caught.value) == {}


def test_attempted_auth_type_names_what_a_refused_request_tried() -> None:
    assert attempted_auth_type({"authorization": "Bearer x"}) == "jwt"
    assert attempted_auth_type({"X-Api-Key": "k"}) == "api_key"
    assert attempted_auth_type({}) == "none"


def test_audit_decisions_from_identities_and_errors() -> None:
    allow = AuditDecision.allow(
        Identity("svc", "service", "jwt"), endpoint="/v1/ws/internal", method="GET", client_ip="::1"
    )
    error = AuthError(401, "token_expired", "the token has expired")
    deny = AuditDecision.deny(
        error, endpoint="/v1/meetings/start", method="POST", client_ip="::1", auth_type="jwt"
    )
    assert (allow.event, allow.subject, allow.reason) == (
        "security_audit_allow",
        "svc",
        "authenticated",
    )
    assert (deny.event, deny.subject, deny.status_code, deny.error_code) == (
        "security_audit_deny",
        "anonymous",
        401,
        "token_expired",
    )
    assert allow.decision_id != deny.decision_id
    assert deny.to_dict()["decision_id"] == deny.decision_id
    local = AuditDecision.allow(
        Identity("anonymous", "user", "none"), endpoint="/health", method="GET", client_ip="x"
    )
    assert local.reason == "auth_disabled"


# ---------------------------------------------------------------------- JWKS (RS256)


async def test_a_token_verified_with_the_jwks(idp: IdentityProvider) -> None:
    authenticator = create_authenticator(jwks_config(idp))
    identity = await authenticator.authenticate(bearer(idp.token({"sub": "u", "aud": AUDIENCE})))
    assert identity == Identity("u", "user", "jwt")
    token = idp.token({"sub": "s", "aud": AUDIENCE, "token_type": "service"})
    assert (await authenticator.authenticate(bearer(token))).is_service


async def test_the_issuer_and_audience_are_checked(idp: IdentityProvider) -> None:
    authenticator = create_authenticator(jwks_config(idp))
    token = idp.token({"sub": "u", "aud": AUDIENCE, "iss": "https://evil.example"})
    assert (await refused(authenticator, bearer(token))).code == "invalid_issuer"
    token = idp.token({"sub": "u", "aud": "other"})
    assert (await refused(authenticator, bearer(token))).code == "invalid_audience"
    token = idp.token({"sub": "u", "aud": AUDIENCE}, lifetime_sec=None)
    assert (await refused(authenticator, bearer(token))).code == "token_missing_exp"
    token = idp.token({"sub": "u", "aud": AUDIENCE}, lifetime_sec=-3600)
    assert (await refused(authenticator, bearer(token))).code == "token_expired"


async def test_hs256_signed_with_the_rsa_public_key_is_refused(idp: IdentityProvider) -> None:
    """Algorithm confusion: the JWKS key must never become an HMAC secret."""
    forged = idp.forged_hs256({"sub": "mallory", "aud": AUDIENCE, "roles": ["admin"]})
    # Only RS256 configured.
    error = await refused(create_authenticator(jwks_config(idp)), bearer(forged))
    assert (error.status, error.code) == (401, "unsupported_algorithm")
    # HS256 listed, but no shared secret: HS256 has no key at all, the JWKS is not one.
    listed = create_authenticator(jwks_config(idp, oidc_algorithms=("RS256", "HS256")))
    assert (await refused(listed, bearer(forged))).code == "unsupported_algorithm"
    # A shared secret and a JWKS: HS256 is checked against the secret only.
    both = create_authenticator(jwks_config(idp, jwt_shared_secret=SECRET))
    assert (await refused(both, bearer(forged))).code == "invalid_token"
    # ...and the JWK's modulus as a secret fails the same way.
    modulus = idp.key.public_jwk()["n"].encode()
    body = {"sub": "m", "aud": AUDIENCE, "iss": idp.issuer, "exp": int(time.time()) + 60}
    other = hs256_by_hand(body, modulus, {"alg": "HS256", "kid": idp.key.kid})
    assert (await refused(both, bearer(other))).code == "invalid_token"


async def test_an_rs256_token_with_a_forged_kid_or_signature_is_refused(
    idp: IdentityProvider,
) -> None:
    authenticator = create_authenticator(jwks_config(idp))
    stranger = IdentityProvider()  # same kid, other key: the signature must not verify
    stranger.close()
    stranger.keys[0].kid = idp.key.kid
    token = stranger.token({"sub": "u", "aud": AUDIENCE, "iss": idp.issuer})
    assert (await refused(authenticator, bearer(token))).code == "invalid_token"


async def test_an_unknown_kid_fetches_the_jwks_again() -> None:
    with IdentityProvider() as idp:
        authenticator = create_authenticator(jwks_config(idp))
        await authenticator.authenticate(bearer(idp.token({"sub": "u", "aud": AUDIENCE})))
        assert idp.hits["/jwks.json"] == 1
        await authenticator.authenticate(bearer(idp.token({"sub": "u", "aud": AUDIENCE})))
        assert idp.hits["/jwks.json"] == 1  # cached
        idp.rotate(keep_old=False)
        identity = await authenticator.authenticate(
            bearer(idp.token({"sub": "after-rotation", "aud": AUDIENCE}))
        )
        assert identity.subject == "after-rotation"
        assert idp.hits["/jwks.json"] == 2
        error = await refused(
            authenticator, bearer(idp.token({"sub": "u", "aud": AUDIENCE}, headers={"kid": "x"}))
        )
        assert error.code == "unknown_key"


async def test_made_up_kids_cannot_make_us_hammer_the_provider() -> None:
    with IdentityProvider() as idp:
        config = jwks_config(idp, jwks_min_refresh_interval_sec=60.0)
        authenticator = create_authenticator(config)
        await authenticator.authenticate(bearer(idp.token({"sub": "u", "aud": AUDIENCE})))
        for n in range(20):
            token = idp.token({"sub": "u", "aud": AUDIENCE}, headers={"kid": f"made-up-{n}"})
            assert (await refused(authenticator, bearer(token))).code == "unknown_key"
        assert idp.hits["/jwks.json"] == 1


async def test_discovery_finds_the_jwks_from_the_issuer() -> None:
    with IdentityProvider() as idp:
        authenticator = create_authenticator(jwks_config(idp, oidc_jwks_url=""))
        token = idp.token({"sub": "u", "aud": AUDIENCE})
        assert (await authenticator.authenticate(bearer(token))).subject == "u"
        assert idp.hits["/.well-known/openid-configuration"] == 1
        assert idp.hits["/jwks.json"] == 1


async def test_a_discovery_document_for_another_issuer_is_not_trusted() -> None:
    with IdentityProvider() as idp:
        idp.discovery_issuer = "https://evil.example"
        authenticator = create_authenticator(jwks_config(idp, oidc_jwks_url=""))
        error = await refused(authenticator, bearer(idp.token({"sub": "u", "aud": AUDIENCE})))
        assert (error.status, error.code) == (503, "auth_unavailable")
        assert idp.hits["/jwks.json"] == 0


async def test_cached_keys_outlive_an_unreachable_provider() -> None:
    idp = IdentityProvider().start()
    authenticator = create_authenticator(
        jwks_config(idp, jwks_cache_ttl_sec=0.001, http_timeout_sec=1.0)
    )
    token = idp.token({"sub": "u", "aud": AUDIENCE})
    await authenticator.authenticate(bearer(token))
    idp.close()
    await asyncio.sleep(0.01)  # past the TTL: the next request tries to refresh, and fails
    assert (await authenticator.authenticate(bearer(token))).subject == "u"


async def test_an_unreachable_provider_without_cached_keys_is_503() -> None:
    idp = IdentityProvider()  # never started: nothing listens on its port
    idp.close()
    authenticator = create_authenticator(jwks_config(idp, http_timeout_sec=1.0))
    error = await refused(authenticator, bearer(idp.token({"sub": "u", "aud": AUDIENCE})))
    assert (error.status, error.code) == (503, "auth_unavailable")
    assert challenge(error) == {}


async def test_es256_tokens_need_an_ec_key_of_their_curve() -> None:
    with IdentityProvider("ES256") as idp:
        authenticator = create_authenticator(jwks_config(idp, oidc_algorithms=("ES256",)))
        token = idp.token({"sub": "e", "aud": AUDIENCE})
        assert (await authenticator.authenticate(bearer(token))).subject == "e"
        # The RS256 family finds no RSA key in an EC-only JWKS.
        rsa_only = create_authenticator(jwks_config(idp, oidc_algorithms=("RS256",)))
        assert (await refused(rsa_only, bearer(token))).code == "unsupported_algorithm"


# ---------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        (AuthConfig(mode="api_key"), "needs API_KEYS or SERVICE_API_KEYS"),
        (AuthConfig(mode="jwt"), "needs JWT_SHARED_SECRET or OIDC_JWKS_URL"),
        (
            AuthConfig(mode="jwt", oidc_jwks_url="http://x", oidc_algorithms=("HS256",)),
            "no algorithm of OIDC_ALGORITHMS has a key source",
        ),
        (
            AuthConfig(mode="api_key", api_keys=("k" * 20,), service_api_keys=("k" * 20,)),
            "in both API_KEYS and SERVICE_API_KEYS",
        ),
        (AuthConfig(mode="jwt", jwt_shared_secret=SECRET, oidc_algorithms=("none",)), "none"),
    ],
)
def test_configurations_that_cannot_work_are_refused(config: AuthConfig, problem: str) -> None:
    with pytest.raises(AuthConfigError, match=problem):
        create_authenticator(config)


def test_secrets_stay_out_of_the_config_repr() -> None:
    config = AuthConfig(
        mode="jwt", api_keys=(USER_KEY,), service_api_keys=(SERVICE_KEY,), jwt_shared_secret=SECRET
    )
    for secret in (USER_KEY, SERVICE_KEY, SECRET):
        assert secret not in repr(config)


def test_production_refuses_auth_that_lets_anyone_in() -> None:
    base = {
        "APP_ENV": "production",
        "KAFKA_BOOTSTRAP_SERVERS": "kafka:9092",
        "EVENT_STORE_URL": "postgresql://ia@db/ia",
        "DATA_MASTER_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    }
    refusals = {
        "AUTH_MODE must be api_key or jwt": {},
        "AUTH_MODE=api_key needs API_KEYS": {"AUTH_MODE": "api_key"},
        "AUTH_MODE=jwt needs JWT_SHARED_SECRET": {"AUTH_MODE": "jwt"},
        "OIDC_AUDIENCE must be set": {"AUTH_MODE": "jwt", "OIDC_ISSUER_URL": "https://idp"},
        "JWT_SHARED_SECRET must be at least 32 bytes": {
            "AUTH_MODE": "jwt",
            "JWT_SHARED_SECRET": "short",
        },
        "shorter than 16 characters": {"AUTH_MODE": "api_key", "API_KEYS": "abc"},
    }
    for message, extra in refusals.items():
        with pytest.raises(SettingsError, match=message):
            Settings.from_env({**base, **extra})
    settings = Settings.from_env(
        {**base, "AUTH_MODE": "jwt", "OIDC_ISSUER_URL": "https://idp", "OIDC_AUDIENCE": "ia"}
    )
    assert settings.auth_mode == "jwt"
    # Development may run without credentials.
    assert Settings.from_env({}).auth_mode == "none"


def test_settings_parse_lists_and_refuse_alg_none() -> None:
    settings = Settings.from_env(
        {"OIDC_ALGORITHMS": "RS256, ES256", "JWT_SERVICE_ALLOWED_ROLES": "svc , ops,"}
    )
    assert settings.oidc_algorithms == ("RS256", "ES256")
    assert settings.jwt_service_allowed_roles == ("svc", "ops")
    with pytest.raises(SettingsError, match="OIDC_ALGORITHMS"):
        Settings.from_env({"OIDC_ALGORITHMS": "RS256,none"})


async def test_ops_builds_the_authenticator_from_settings() -> None:
    settings = Settings.from_env(
        {
            "AUTH_MODE": "api_key",
            "API_KEYS": f"{USER_KEY}, other-key-0000000",
            "SERVICE_API_KEYS": SERVICE_KEY,
        }
    )
    authenticator = build_authenticator(settings)
    assert (await authenticator.authenticate({"X-API-Key": "other-key-0000000"})).kind == "user"
    assert (await authenticator.authenticate({"X-API-Key": SERVICE_KEY})).kind == "service"
    with pytest.raises(SettingsError, match="invalid auth settings"):
        build_authenticator(Settings.from_env({"AUTH_MODE": "jwt"}))
    jwt_settings = Settings.from_env(
        {"AUTH_MODE": "jwt", "JWT_SHARED_SECRET": SECRET, "JWT_TENANT_CLAIM": "org"}
    )
    identity = await build_authenticator(jwt_settings).authenticate(
        bearer(hs256({"sub": "a", "org": "acme"}))
    )
    assert identity.tenant == "acme"
    assert [type(s).__name__ for s in build_audit_sinks(settings, None).sinks] == [
        "LoggingAuditSink"
    ]
    assert [type(s).__name__ for s in build_audit_sinks(settings, "127.0.0.1:9").sinks] == [
        "LoggingAuditSink",
        "KafkaAuditSink",
    ]


# ---------------------------------------------------------------------- robustness


@hypothesis.settings(max_examples=300, deadline=None)
@given(
    token=st.one_of(
        st.text(max_size=300),
        st.lists(st.binary(max_size=60).map(b64url), min_size=1, max_size=4).map(".".join),
        st.builds(
            lambda head, body: unsigned_token(head, body, b"sig"),
            st.dictionaries(st.sampled_from(["alg", "kid", "crit", "typ"]), JSON, max_size=4),
            st.dictionaries(st.text(max_size=5), JSON, max_size=4),
        ),
    )
)
async def test_any_garbage_token_is_a_401_never_a_crash(token: str) -> None:
    authenticator = create_authenticator(AuthConfig(mode="jwt", jwt_shared_secret=SECRET))
    with pytest.raises(AuthError) as caught:
        await authenticator.authenticate({"Authorization": f"Bearer {token}"})
    assert caught.value.status == 401


async def test_absurdly_nested_json_is_an_invalid_token(shared: JwtAuthenticator) -> None:
    nested = "[" * 5000 + "]" * 5000
    token = f"{b64url(nested.encode())}.{b64url(b'{}')}.{b64url(b'x')}"
    assert (await refused(shared, bearer(token))).code == "invalid_token"
    head = b64url(b'{"alg":"HS256"}')
    body = b64url(nested.encode())
    signature = hmac.new(SECRET.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    token = f"{head}.{body}.{b64url(signature)}"
    assert (await refused(shared, bearer(token))).code == "invalid_token"


async def test_critical_header_extensions_are_refused(shared: JwtAuthenticator) -> None:
    token = hs256({"sub": "a", "aud": AUDIENCE}, crit=["b64"], b64=False)
    assert (await refused(shared, bearer(token))).code == "invalid_token"


def test_a_public_key_pasted_as_the_shared_secret_is_refused_at_start(
    idp: IdentityProvider,
) -> None:
    with pytest.raises(AuthConfigError, match="JWT_SHARED_SECRET"):
        create_authenticator(AuthConfig(mode="jwt", jwt_shared_secret=idp.key.public_pem))
