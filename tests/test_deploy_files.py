"""Deployment files: each compose file satisfies the Compose spec (the JSON schema vendored by
check-jsonschema) plus the rules this project sets; the Dockerfile keeps its promises."""

from __future__ import annotations

import json
import re
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCKER = ROOT / "docker"


def compose_schema() -> dict[str, Any]:
    vendor = resources.files("check_jsonschema") / "builtin_schemas" / "vendor"
    return json.loads((vendor / "compose-spec.json").read_text())


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load((DOCKER / name).read_text())


def merged() -> dict[str, Any]:
    """compose.yaml overlaid with compose.langfuse.yml (maps merge, like `docker compose`)."""

    def merge(a: Any, b: Any) -> Any:
        if isinstance(a, dict) and isinstance(b, dict):
            return {k: merge(a.get(k), b[k]) if k in a else b[k] for k in b} | {
                k: v for k, v in a.items() if k not in b
            }
        return b

    return merge(load("compose.yaml"), load("compose.langfuse.yml"))


@pytest.mark.parametrize("name", ["compose.yaml", "compose.langfuse.yml"])
def test_compose_file_matches_the_compose_spec(name: str) -> None:
    jsonschema.validate(load(name), compose_schema())


def test_an_invalid_compose_file_is_rejected() -> None:
    broken = load("compose.yaml")
    broken["services"]["app"]["imagee"] = "typo:1"  # unknown keys are not allowed
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, compose_schema())


@pytest.mark.parametrize("document", [load("compose.yaml"), merged()], ids=["app", "+langfuse"])
def test_compose_references_resolve_and_starts_are_ordered(document: dict[str, Any]) -> None:
    services, volumes = document["services"], document.get("volumes", {})
    for name, service in services.items():
        for dependency, rule in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency] or dependency == "app"
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if not source.startswith((".", "/")):
                assert source in volumes, f"{name} mounts undeclared volume {source}"


def test_app_scales_behind_one_port_on_postgres_and_redis() -> None:
    services = load("compose.yaml")["services"]
    app = services["app"]
    assert app["environment"]["STATE_MANAGER"] == "redis"
    assert app["deploy"]["replicas"] >= 2 and "ports" not in app
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    assert [p for s in services.values() for p in s.get("ports", []) if s is not services["docs"]]
    assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "server app:3000" in (DOCKER / "proxy" / "nginx.conf").read_text()


def test_langfuse_stack_is_complete_and_the_app_points_at_it() -> None:
    document = merged()
    services = document["services"]
    for name in ("web", "worker", "postgres", "clickhouse", "redis", "minio"):
        assert f"langfuse-{name}" in services
    app_env = services["app"]["environment"]
    web_env = services["langfuse-web"]["environment"]
    assert app_env["LANGFUSE_HOST"] == "http://langfuse-web:3000"
    assert app_env["LANGFUSE_PUBLIC_KEY"] == web_env["LANGFUSE_INIT_PROJECT_PUBLIC_KEY"]
    assert app_env["LANGFUSE_SECRET_KEY"] == web_env["LANGFUSE_INIT_PROJECT_SECRET_KEY"]
    assert app_env["STATE_MANAGER"] == "redis"  # the overlay adds, it does not replace


def test_dockerfile_is_multi_stage_non_root_and_fails_loudly() -> None:
    text = (DOCKER / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, re.M)) >= 2
    runtime = text[text.rindex("\nFROM ") :]
    assert re.search(r"^USER (?!root)\w+", runtime, re.M)
    assert "HEALTHCHECK" in runtime
    assert 'ENTRYPOINT ["bash", "docker/entrypoint.sh"]' in runtime
    assert "requirements-dev" not in text and "apt-get install" not in text
    assert not re.search(r";\s*rm\b|\|\|\s*true", text), "a step's failure must fail the build"
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored and ".git" in ignored
    assert ".env" in (ROOT / ".gitignore").read_text().split()


def test_runtime_lock_has_no_test_or_lint_tools() -> None:
    runtime = (ROOT / "requirements.lock").read_text().lower()
    for tool in ("pytest", "hypothesis", "ruff", "playwright", "schemathesis", "mkdocs"):
        assert f"\n{tool}==" not in "\n" + runtime, tool
    dev = (ROOT / "requirements-dev.lock").read_text()
    assert "-r requirements.lock" in dev and "pytest==" in dev


def _stages() -> tuple[str, str]:
    text = (DOCKER / "Dockerfile").read_text()
    cut = text.rindex("\nFROM ")
    return text[:cut], text[cut:]


def test_dockerfile_base_is_an_argument_and_the_build_ca_stays_in_the_build_stage() -> None:
    build, runtime = _stages()
    assert re.findall(r"^FROM (\S+)", build + runtime, re.M) == ["${PYTHON_IMAGE}"] * 2
    assert "ARG PYTHON_IMAGE=python:3.11-slim-bookworm" in build
    assert "--mount=type=secret,id=ca " in build
    assert not re.search(r"secret|ca-certificates|PIP_CERT|NODE_EXTRA_CA_CERTS", runtime)


def test_both_stages_share_the_reflex_directory() -> None:
    """Else `reflex run` finds no Reflex directory, re-initialises .web and runs `bun install`
    at every start: the container then needs the npm registry (it failed with --network none)."""
    build, runtime = _stages()
    assert re.findall(r"REFLEX_DIR=(\S+)", build) == ["/app/.reflex"]
    assert re.findall(r"REFLEX_DIR=(\S+)", runtime) == ["/app/.reflex"]


def test_podman_scripts_parse_keep_the_healthcheck_and_tag_what_compose_runs() -> None:
    build = (ROOT / "scripts" / "build_image.sh").read_text()
    assert "--format docker" in build  # the OCI format drops HEALTHCHECK
    assert "nice -n 10 podman build" in build
    assert 'IMAGE="${IMAGE:-command-center:local}"' in build
    assert load("compose.yaml")["services"]["app"]["image"] == "command-center:local"
    for script in ("build_image.sh", "compose_smoke.sh", "podman-standins/postgres/entrypoint.sh"):
        subprocess.run(["bash", "-n", str(ROOT / "scripts" / script)], check=True)


def test_a_client_sticks_to_one_replica_and_the_socket_url_follows_the_port() -> None:
    """Each replica builds its own frontend at start (asset names differ), so the proxy keeps a
    client on one replica; `consistent` hashing keys on the one server name and spreads again."""
    nginx = (DOCKER / "proxy" / "nginx.conf").read_text()
    upstream = nginx[nginx.index("upstream command_center {") : nginx.index("}")]
    assert re.search(r"^\s*hash \$remote_addr;", upstream, re.M)
    assert "proxy_set_header Host $http_host;" in nginx  # $host drops the port from redirects
    app_env = load("compose.yaml")["services"]["app"]["environment"]
    assert app_env["REFLEX_API_URL"] == "${PUBLIC_URL:-http://localhost:${PORT:-3000}}"
