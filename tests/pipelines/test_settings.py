"""Settings: embedded defaults, TOML file, environment, and errors that name the setting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from pipelines.settings import (
    EXPORT_PLATFORMS,
    LegalSettings,
    Settings,
    SettingsError,
    load_settings,
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)


def test_no_configuration_means_embedded_defaults_in_the_data_folder() -> None:
    settings = load_settings()
    assert settings.home == Path(".audience-export")
    assert settings.source_url == "sqlite:///.audience-export/accounts.sqlite"
    assert settings.ledger_url == "sqlite:///.audience-export/ledger.sqlite"
    assert settings.register_config.url == "sqlite:///.audience-export/register.sqlite"
    # Unconfigured Meta means production (which then refuses to run): never the sandbox.
    assert not settings.uses_sandbox
    assert settings.meta.graph_url == "https://graph.facebook.com"


def test_the_sandbox_is_chosen_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIENCE_EXPORT_META_GRAPH_URL", "sandbox")
    assert load_settings().uses_sandbox
    assert load_settings().meta.graph_url == "sandbox"
    monkeypatch.delenv("AUDIENCE_EXPORT_META_GRAPH_URL")
    assert load_settings().with_sandbox().uses_sandbox


def test_documented_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIENCE_EXPORT_HOME", "/srv/ae")
    monkeypatch.setenv("AUDIENCE_EXPORT_SOURCE_URL", "postgresql://shop@db/shop")
    monkeypatch.setenv("AUDIENCE_EXPORT_META_GRAPH_URL", "http://127.0.0.1:8765/")
    monkeypatch.setenv("AUDIENCE_EXPORT_META_ACCESS_TOKEN", "secret-token")
    monkeypatch.setenv("AUDIENCE_EXPORT_META_APP_SECRET", "app-secret")
    monkeypatch.setenv("AUDIENCE_EXPORT_META_AD_ACCOUNT", "act_123")
    settings = load_settings()
    assert settings.home == Path("/srv/ae")
    assert settings.source_url == "postgresql://shop@db/shop"
    assert settings.meta.graph_url == "http://127.0.0.1:8765"
    assert settings.meta.ad_account == "123"
    assert settings.meta.access_token is not None
    assert settings.meta.access_token.get_secret_value() == "secret-token"
    assert not settings.uses_sandbox
    assert "secret-token" not in repr(settings)
    assert "app-secret" not in repr(settings)


def test_a_token_alone_means_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIENCE_EXPORT_META_ACCESS_TOKEN", "t")
    settings = load_settings()
    assert not settings.uses_sandbox
    assert settings.meta.graph_url == "https://graph.facebook.com"


def test_toml_file_and_environment_beats_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "audience-export.toml"
    config.write_text('[export]\ncountry = "nl"\nratio = 0.05\n[ledger]\nurl = "sqlite:///l.db"\n')
    monkeypatch.setenv("AUDIENCE_EXPORT_CONFIG", str(config))
    monkeypatch.setenv("AUDIENCE_EXPORT_LEDGER_URL", "sqlite:///from-env.db")
    settings = load_settings()
    assert settings.export.country == "NL"
    assert settings.export.ratio == 0.05
    assert settings.ledger_url == "sqlite:///from-env.db"


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        ("[export]\nratio = 0.5\n", "export.ratio"),
        ('[export]\nsize = "huge"\n', "export.size"),
        ('[export]\ndestination = "tiktok"\nratio = 0.5\n', "export.ratio"),
        ('[tiktok]\nadvertiser_id = "adv-1"\n', "tiktok.advertiser_id"),
        ('[export]\ncountry = "France"\n', "export.country"),
        ("[export]\nbatch = 3\n", "export.batch"),
        ("[sourc]\nurl = 'x'\n", "sourc"),
        ('[meta]\nad_account = "abc"\n', "meta.ad_account"),
    ],
)
def test_invalid_settings_are_named(tmp_path: Path, toml: str, named: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(toml)
    with pytest.raises(SettingsError) as raised:
        load_settings(config)
    assert named in str(raised.value)
    assert str(config) in str(raised.value)


def test_unreadable_or_broken_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot read configuration file"):
        load_settings(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[export\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(broken)


def test_the_readme_documents_every_setting_and_its_variable() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    documented = set(
        re.findall(r"^\| `([a-z_.]+)` \| `(AUDIENCE_EXPORT_[A-Z_]+)` \|", readme, re.M)
    )

    def leaves(model: type[BaseModel], prefix: str = "") -> set[tuple[str, str]]:
        names = set()
        for name, field in model.model_fields.items():
            annotation = field.annotation
            variable = "AUDIENCE_EXPORT_" + f"{prefix}{name}".replace(".", "_").upper()
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                names |= leaves(annotation, f"{prefix}{name}.")
            elif name == "legal":  # one JSON object per platform: AUDIENCE_EXPORT_LEGAL_META
                names |= {
                    (f"legal.{platform}.{leaf}", f"{variable}_{platform.upper()}")
                    for platform in EXPORT_PLATFORMS
                    for leaf in LegalSettings.model_fields
                }
            else:
                names.add((f"{prefix}{name}", variable))
        return names

    assert documented == leaves(Settings)
