"""Only ``init`` creates a register: anything else refuses a missing, empty or swapped one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from objections import store
from objections.canonical import canonical_key
from objections.config import RegisterConfig
from objections.errors import KeyConfigurationError, RegisterMissingError, UnknownScopeError
from objections.keys import read_key_file
from objections.model import Action, Channel, Scope, VerificationMethod
from objections.register import Register
from tests.fixtures.register import uninitialised_config

INIT = "`audience-export objections init`"
IN_PERSON = VerificationMethod.IN_PERSON


def database_objects(url: str) -> list[str]:
    engine = store.connect(url)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_a_missing_sqlite_file_or_folder_is_refused_and_nothing_is_created(
    tmp_path: Path,
) -> None:
    for missing in (tmp_path / "register.sqlite", tmp_path / "typo-dir" / "register.sqlite"):
        config = uninitialised_config(f"sqlite:///{missing}", tmp_path)
        with pytest.raises(RegisterMissingError) as refused:
            Register.open(config)
        assert f"no objection register at sqlite:///{missing}" in str(refused.value)
        assert INIT in str(refused.value)
    assert f"the folder {tmp_path / 'typo-dir'} does not exist" in str(refused.value)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["register-keys.json"]


def test_an_empty_database_is_refused_and_left_empty(register_url: str, tmp_path: Path) -> None:
    sqlite = make_url(register_url).get_backend_name() == "sqlite"
    database = Path(make_url(register_url).database or "")
    if sqlite:
        database.touch(mode=0o600)
    config = uninitialised_config(register_url, tmp_path)
    with pytest.raises(RegisterMissingError, match="the database holds no register") as refused:
        Register.open(config)
    assert INIT in str(refused.value)
    assert database_objects(register_url) == []
    if sqlite:
        assert database.stat().st_size == 0


@pytest.mark.postgres
def test_the_message_names_the_database_without_its_password(
    postgres_url: str, tmp_path: Path
) -> None:
    url = make_url(postgres_url).set(password="s3cret-pw")
    config = uninitialised_config(url.render_as_string(hide_password=False), tmp_path)
    with pytest.raises(RegisterMissingError) as refused:
        Register.open(config)
    assert "s3cret-pw" not in str(refused.value)
    assert url.render_as_string(hide_password=True) in str(refused.value)


def test_a_schema_without_its_key_check_row_is_not_a_register(
    backend_config: RegisterConfig,
) -> None:
    engine = store.connect(backend_config.url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM objection_register_state"))
    engine.dispose()
    with pytest.raises(RegisterMissingError, match="no key-check row"):
        Register.open(backend_config)


def test_init_creates_a_register_with_an_identity_once(register_url: str, tmp_path: Path) -> None:
    config = uninitialised_config(register_url, tmp_path)
    with Register.init(config) as created:
        assert created.created
        identity = created.identity
        assert len(identity) == 36
        assert not created.has_held_objections
    with Register.init(config) as again:
        assert (again.created, again.identity) == (False, identity)
    with Register.open(config) as opened:
        assert opened.identity == identity
        assert opened.version().startswith("0-")


def test_another_database_has_another_identity(tmp_path: Path) -> None:
    first = uninitialised_config(f"sqlite:///{tmp_path / 'a.sqlite'}", tmp_path)
    second = first.model_copy(update={"url": f"sqlite:///{tmp_path / 'b.sqlite'}"})
    with Register.init(first) as one, Register.init(second) as other:
        assert one.identity != other.identity


def test_init_generates_keys_only_when_asked(tmp_path: Path) -> None:
    config = RegisterConfig(
        url=f"sqlite:///{tmp_path / 'data' / 'register.sqlite'}",
        platforms=frozenset({"meta"}),
        key_file=tmp_path / "data" / "keys.json",
    )
    with pytest.raises(KeyConfigurationError, match="no keys"):
        Register.init(config)
    assert not (tmp_path / "data").exists()
    with Register.init(config, create_keys=True) as created:
        assert created.generated_key_file == config.key_file
    with Register.init(config, create_keys=True) as again:
        assert again.generated_key_file is None


def test_a_register_remembers_having_held_an_objection(register: Register) -> None:
    before = register.has_held_objections
    oid = register.add("a@example.com", channel=Channel.EMAIL, by="amy").objection_id
    register.verify(oid, by="bob", method=IN_PERSON, note="ID seen")
    register.withdraw(oid, by="bob", note="asked", four_eyes=False)
    assert (before, register.has_held_objections) == (False, True)
    assert register.suppression("meta").digests == frozenset()


def test_scopes_are_a_closed_set_in_the_register_api(register: Register) -> None:
    with pytest.raises(
        UnknownScopeError, match=r"'all' or platforms among: meta, tiktok \(got 'facebook'\)"
    ):
        register.add(
            "b@example.com", channel=Channel.EMAIL, by="amy", scope=Scope.parse("facebook")
        )
    assert not register.has_held_objections
    with pytest.raises(UnknownScopeError):
        register.suppression("google")
    with pytest.raises(UnknownScopeError):
        register.matches("b@example.com", platform="google")
    assert Scope.chosen(" META ", frozenset({"meta"})) == Scope(frozenset({"meta"}))
    for refused in ("facebook", "meta,google", "all,meta", "face book"):
        with pytest.raises(UnknownScopeError, match="got"):
            Scope.chosen(refused, frozenset({"meta"}))


def legacy_register(config: RegisterConfig, scopes: list[str]) -> None:
    """A register as made before identities and closed scopes (revision 0001)."""
    assert config.key_file is not None
    pair = read_key_file(config.key_file).newest
    engine = store.connect(config.url, create=True)
    with engine.begin() as connection:
        alembic = Config()
        alembic.set_main_option("script_location", str(Path(store.__file__).parent / "migrations"))
        alembic.attributes["connection"] = connection
        command.upgrade(alembic, "0001")
        connection.execute(
            text("INSERT INTO objection_register_state (id, version, key_id) VALUES (1, 3, :k)"),
            {"k": pair.key_id},
        )
        for number, scope in enumerate(scopes):
            address = f"person{number}@example.com"
            store.insert_objection(
                connection,
                received_at=datetime.now(UTC),
                channel="email",
                scope=scope,
                status="received",
                address_sealed=pair.cipher().encrypt(address),
                blind_index=pair.blind_index().digest(canonical_key(address)),
                key_id=pair.key_id,
            )
    engine.dispose()


def test_a_register_made_before_identities_is_migrated_and_unknown_scopes_widened(
    register_url: str, tmp_path: Path
) -> None:
    config = uninitialised_config(register_url, tmp_path)
    legacy_register(config, ["facebook", "meta", "all", "meta,tiktok", "google,tiktok"])
    with Register.open(config) as opened:
        assert opened.migration_notes == (
            "widened the scope of 3 objection(s) naming no known platform to 'all' "
            "(see their history)",
        )
        identity = opened.identity
        assert len(identity) == 36
        assert opened.has_held_objections
        assert [str(item.scope) for item in opened.objections()] == ["all", "meta", "all"] + [
            "all"
        ] * 2
        widened = opened.history(1)[-1]
        assert (widened.action, widened.actor) == (
            Action.SCOPE_WIDENED,
            "audience-export migration 0003",
        )
        assert widened.note is not None
        assert "'facebook'" in widened.note
        assert len(opened.history(2)) == 0
        keys = [canonical_key(f"person{number}@example.com") for number in range(5)]
        assert opened.suppression("meta").suppressed(keys) == [True] * 5
    with Register.open(config) as again:
        assert (again.identity, again.migration_notes) == (identity, ())
