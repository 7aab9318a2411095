"""The production shape: settings pass `check --deploy`, compose runs real modules."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command, get_commands

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args, **env):
    """manage.py in a fresh process, with the environment a deployment would have."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}
    }
    environment = {**inherited, **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="x7#kq!p2-production-like-secret-key-with-enough-entropy-4f9a1c",
        ALLOWED_HOSTS="contactcenter.example.com",
        STATIC_ROOT=str(tmp_path / "static"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_health_check_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _check_command(command: list[str]):
    program, *args = command
    if program == "gunicorn":
        module, attribute = args[0].split(":")
        assert hasattr(importlib.import_module(module), attribute), args[0]
    elif program == "celery":
        app_module = args[args.index("-A") + 1]
        from celery import Celery

        app = importlib.import_module(app_module).celery_app
        assert isinstance(app, Celery)
        assert args[args.index("-A") + 2] in {"worker", "beat"}
    elif program == "python":
        assert args[0] == "manage.py" and (ROOT / "manage.py").exists()
        assert args[1] in get_commands(), args[1]
    else:
        pytest.fail(f"unexpected program in compose: {program}")


def test_compose_services_run_real_modules():
    services = _compose()["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    for name, service in services.items():
        if "command" in service:
            _check_command(service["command"])
        elif "build" in service:
            pytest.fail(f"{name} builds our image but names no command")
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'CMD ["gunicorn", "contactcenter.wsgi:application"' in dockerfile


def test_compose_has_health_checks_volume_and_environment():
    compose = _compose()
    services = compose["services"]
    for name in ("postgres", "redis", "web", "worker"):
        assert "healthcheck" in services[name], name
    assert "postgres-data" in compose["volumes"]
    environment = services["web"]["environment"]
    assert environment["DATABASE_URL"].startswith("postgres://")
    assert environment["CELERY_BROKER_URL"].startswith("redis://")
    assert environment["DEBUG"] == "0"
    assert "SECRET_KEY" in environment


def test_procfile_runs_web_worker_and_beat():
    lines = dict(
        line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line
    )
    assert set(lines) == {"web", "worker", "beat"}
    _check_command(lines["worker"].split())
    _check_command(lines["beat"].split())
    assert lines["web"].split()[:3] == ["python", "manage.py", "runserver"]
