"""Settings: defaults, modes, and one clear line for a bad value."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from command_center.settings import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[1]


def test_embedded_defaults(settings) -> None:
    assert settings.database_mode == "sqlite"
    assert settings.cache_mode == "in-process"
    assert settings.builder_mode.value == "offline"
    assert settings.warehouse_mode == "local"
    assert settings.tracing_mode == "off"
    assert settings.effective_database_url.endswith("command_center.db")


def test_real_backends_switch_on_by_environment(settings_env, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1/x")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("DATABRICKS_HOST", "https://adb-1.azuredatabricks.net/")
    monkeypatch.setenv("DATABRICKS_HTTP_PATH", "/sql/1.0/warehouses/abc")
    monkeypatch.setenv("DATABRICKS_TOKEN", "dapi-secret")
    settings = Settings()
    assert settings.database_mode == "postgresql"
    assert settings.cache_mode == "redis"
    assert settings.warehouse_mode == "databricks"


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("BUILDER_MODE", "banana", "BUILDER_MODE='banana'"),
        ("DATABASE_URL", "not a url", "DATABASE_URL='not a url'"),
        ("DATABASE_URL", "mysql://u@h/db", "only sqlite and postgresql"),
        ("REDIS_URL", "http://localhost", "REDIS_URL"),
        ("DATABRICKS_POOL_SIZE", "0", "DATABRICKS_POOL_SIZE"),
        ("LLM_TIMEOUT_SECONDS", "-1", "LLM_TIMEOUT_SECONDS"),
    ],
)
def test_bad_value_names_the_variable(settings_env, monkeypatch, name, value, fragment) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert fragment in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "command_center.bootstrap"],
        [sys.executable, "-c", "import rxconfig"],
    ],
)
def test_start_stops_with_one_line_no_traceback(tmp_path, command) -> None:
    env = {"PATH": "/usr/bin:/bin", "BUILDER_MODE": "banana", "DATA_DIR": str(tmp_path)}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "BUILDER_MODE='banana'" in lines[0]
    assert "Traceback" not in result.stderr


def test_env_example_documents_every_setting() -> None:
    documented = {
        line.split("=", 1)[0].strip()
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    declared = {name.upper() for name in Settings.model_fields}
    assert declared == documented, (declared - documented, documented - declared)
