"""bot/workspace/accounts.py: accounts, hashed tokens, roles and console sessions in Redis."""

from __future__ import annotations

import pytest
import redis

from bot.workspace.accounts import (
    PERMISSIONS,
    ROLES,
    AccountError,
    Accounts,
    Principal,
    digest,
)


@pytest.fixture
def accounts(redis_client: redis.Redis) -> Accounts:
    return Accounts(redis_client, session_seconds=60)


def test_add_prints_a_token_that_is_stored_only_hashed(
    accounts: Accounts, redis_client: redis.Redis
) -> None:
    token = accounts.add("ana", "agent")
    assert token.startswith("cbt_") and len(token) >= 40
    dump = "".join(f"{key}{redis_client.dump(key)!r}" for key in redis_client.scan_iter("*"))
    assert token not in dump and token[4:] not in dump
    assert redis_client.hget("carebot:account:ana", "token_sha256") == digest(token)
    assert accounts.authenticate(token) == Principal("ana", "agent")


def test_tokens_are_unique_and_unguessable(accounts: Accounts) -> None:
    tokens = {accounts.add(f"a{i}", "agent") for i in range(20)}
    assert len(tokens) == 20


@pytest.mark.parametrize("token", [None, "", "cbt_", "cbt_x", "nope", "cbt_" + "a" * 300])
def test_bad_tokens_do_not_authenticate(accounts: Accounts, token: str | None) -> None:
    accounts.add("ana", "agent")
    assert accounts.authenticate(token) is None


def test_rotate_and_remove(accounts: Accounts) -> None:
    old = accounts.add("ana", "supervisor")
    new = accounts.rotate("ana")
    assert accounts.authenticate(old) is None
    assert accounts.authenticate(new) == Principal("ana", "supervisor")
    accounts.set_role("ana", "agent")
    assert accounts.authenticate(new) == Principal("ana", "agent")
    accounts.remove("ana")
    assert accounts.authenticate(new) is None and not accounts.any()
    with pytest.raises(AccountError):
        accounts.rotate("ana")


def test_names_roles_and_duplicates_are_checked(accounts: Accounts) -> None:
    accounts.add("ana", "agent")
    with pytest.raises(AccountError, match="exists"):
        accounts.add("ana", "admin")
    for bad in ("", "Ana", "a b", "../x", "a:b", "x" * 33, "-ana"):
        with pytest.raises(AccountError):
            accounts.add(bad, "agent")
    with pytest.raises(AccountError, match="role"):
        accounts.add("bob", "root")
    assert [p.name for p in accounts.list()] == ["ana"]


def test_account_keys_do_not_collide_with_the_queue(
    accounts: Accounts, redis_client: redis.Redis
) -> None:
    """``{p}:agent:{name}`` is the queue's set of held tickets; accounts live elsewhere."""
    accounts.add("ana", "agent")
    assert not redis_client.exists("carebot:agent:ana")


def test_sessions_follow_the_account(accounts: Accounts, redis_client: redis.Redis) -> None:
    accounts.add("ana", "agent")
    session = accounts.open_session(Principal("ana", "agent"))
    assert accounts.session(session) == Principal("ana", "agent")
    assert not any(session in k for k in redis_client.scan_iter("carebot:session:*"))
    assert 0 < redis_client.ttl(f"carebot:session:{digest(session)}") <= 60
    accounts.set_role("ana", "trainer")
    assert accounts.session(session) == Principal("ana", "trainer")  # role changes apply
    accounts.close_session(session)
    assert accounts.session(session) is None
    again = accounts.open_session(Principal("ana", "trainer"))
    accounts.rotate("ana")
    assert accounts.session(again) is None  # a new token ends old sessions
    assert accounts.session("forged") is None and accounts.session(None) is None


def test_every_role_has_permissions() -> None:
    assert set(PERMISSIONS) == set(ROLES)
    assert "work" not in PERMISSIONS["trainer"]
    assert "reassign" in PERMISSIONS["supervisor"] and "reassign" not in PERMISSIONS["agent"]
    assert PERMISSIONS["admin"] >= PERMISSIONS["supervisor"]
