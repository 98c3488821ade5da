from __future__ import annotations

from pathlib import Path

import pytest

from consentkit import ConfigError, ConsentConfig, load_config
from consentkit.cli import main

KEY = "s" * 32


def problems(**kwargs: object) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(**kwargs)
    return info.value.problems


def test_defaults_give_the_five_categories_with_only_necessary_required() -> None:
    cfg = load_config(secret_keys=[KEY])
    assert cfg.category_keys == ("necessary", "preferences", "analytics", "marketing", "chat")
    assert cfg.required == {"necessary"}
    assert cfg.default_granted == ()
    assert cfg.prefix == "/_consent"
    assert cfg.cookies.choice_days == 182 and cfg.cookies.visitor_days == 395
    assert cfg.cookies.session_idle_minutes == 30
    assert cfg.dnt_denies == cfg.gpc_denies == {"preferences", "analytics", "marketing", "chat"}


def test_short_secret_is_refused_naming_the_key() -> None:
    (p,) = problems(secret_keys=["short"])
    assert p.startswith("secret_keys") and "32 bytes" in p


def test_missing_secret_is_a_problem() -> None:
    assert any(p.startswith("secret_keys") for p in problems(policy_version="2"))


def test_every_problem_is_reported_once_each_naming_its_key() -> None:
    found = problems(
        secret_keys=[KEY],
        default_granted=["nope"],
        categories=[{"key": "a", "title": "A"}, {"key": "a", "title": "B"}],
        cookies={"choice_days": 500},
    )
    assert "cookies.choice_days: 500 days is more than 13 months (395 days)" in found
    assert "categories: duplicate key 'a'" in found
    assert any(p.startswith("default_granted: unknown category 'nope'") for p in found)


def test_signal_rules_must_name_known_categories() -> None:
    found = problems(secret_keys=[KEY], signals={"gpc_denies": ["ads"]})
    assert found == ["signals.gpc_denies: unknown category 'ads' (known: necessary, preferences, analytics, "
                     "marketing, chat)"]


def test_required_categories_are_never_denied_by_signals() -> None:
    cfg = load_config(secret_keys=[KEY], signals={"dnt_denies": ["necessary", "analytics"]})
    assert cfg.dnt_denies == {"analytics"}


def test_toml_file_and_pyproject_section(tmp_path: Path) -> None:
    f = tmp_path / "consentkit.toml"
    f.write_text(f'secret_keys = ["{KEY}"]\npolicy_version = "7"\n')
    assert load_config(f).policy_version == "7"
    py = tmp_path / "pyproject.toml"
    py.write_text(f'[project]\nname="x"\n[tool.consentkit]\nsecret_keys = ["{KEY}"]\npolicy_version = "8"\n')
    assert load_config(py).policy_version == "8"


def test_environment_wins_over_file_and_kwargs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "consentkit.toml"
    f.write_text(f'secret_keys = ["{KEY}"]\npolicy_version = "7"\n')
    monkeypatch.setenv("CONSENTKIT_POLICY_VERSION", "9")
    monkeypatch.setenv("CONSENTKIT_COOKIES__CHOICE_DAYS", "30")
    cfg = load_config(f)
    assert cfg.policy_version == "9" and cfg.cookies.choice_days == 30
    assert load_config(secret_keys=[KEY], policy_version="3").policy_version == "9"


def test_secret_keys_from_environment_as_comma_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSENTKIT_SECRET_KEYS", f"{'a' * 32},{'b' * 32}")
    assert load_config().signing_keys == ["a" * 32, "b" * 32]


def test_bad_toml_names_the_file(tmp_path: Path) -> None:
    f = tmp_path / "consentkit.toml"
    f.write_text("secret_keys = [")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(f)


def test_unknown_key_is_refused() -> None:
    assert any(p.startswith("colour") for p in problems(secret_keys=[KEY], colour="red"))


def test_check_command_prints_redacted_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "consentkit.toml"
    f.write_text(f'secret_keys = ["{KEY}"]\n')
    assert main(["check", str(f)]) == 0
    out = capsys.readouterr().out
    assert KEY not in out and "redacted" in out and '"policy_version": "1"' in out


def test_check_command_redacts_console_password_hashes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from consentkit.console.users import hash_password

    digest = hash_password("correct horse battery staple")
    f = tmp_path / "consentkit.toml"
    user = f'ana = {{ role = "officer", password_hash = "{digest}" }}'
    f.write_text(f'secret_keys = ["{KEY}"]\n[console.users]\n{user}\n')
    assert main(["check", str(f)]) == 0
    out = capsys.readouterr().out
    assert digest not in out and '"role": "officer"' in out and '"password_hash": "<redacted>"' in out


def test_check_command_exit_1_on_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "consentkit.toml"
    f.write_text('secret_keys = ["short"]\nprefix = "nope"\n')
    assert main(["check", str(f)]) == 1
    err = capsys.readouterr().err
    assert "secret_keys" in err and "prefix" in err


def test_config_is_immutable() -> None:
    cfg = ConsentConfig(secret_keys=[KEY])
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen error
        cfg.policy_version = "2"  # type: ignore[misc]
