"""The command line a deployment uses: tokens, the OpenAPI document, projection status and rebuilds."""

from __future__ import annotations

import json
from pathlib import Path

import jwt
import pytest
from click.testing import CliRunner

from dualtrack.cli import main

pytestmark = pytest.mark.integration

SECRET = "cli-test-secret-key-long-enough-for-hs256"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"DUALTRACK_DATA_DIR": str(tmp_path / "var"), "DUALTRACK_SECRET_KEY": SECRET, "KAFKA_BOOTSTRAP_SERVERS": ""}


def test_given_a_role_and_scope_when_issuing_a_token_then_it_carries_them_for_a_service_account_signed_with_the_secret(
        env) -> None:
    result = CliRunner().invoke(main, ["token", "issue", "--role", "mentor", "--enterprise", "ent-1",
                                       "--subject", "wang"], env=env)
    assert result.exit_code == 0, result.output
    claims = jwt.decode(result.output.strip(), SECRET, algorithms=["HS256"], issuer="dualtrack", audience="dualtrack-api")
    assert (claims["sub"], claims["role"], claims["enterprise"]) == ("service:wang", "mentor", "ent-1")
    assert jwt.get_unverified_header(result.output.strip())["kid"], "the token names the key that signed it"


def test_given_a_lifetime_over_thirty_days_when_issuing_a_token_then_it_is_refused_in_one_line(env) -> None:
    result = CliRunner().invoke(main, ["token", "issue", "--role", "admin", "--days", "400"], env=env)
    assert result.exit_code == 2 and "--days" in result.output and "Traceback" not in result.output


def test_given_a_scoped_role_without_its_scope_then_the_token_is_refused(env) -> None:
    result = CliRunner().invoke(main, ["token", "issue", "--role", "coordinator"], env=env)
    assert result.exit_code == 2 and "--school" in result.output


def test_given_the_openapi_command_then_it_prints_the_api_document(env) -> None:
    result = CliRunner().invoke(main, ["openapi"], env=env)
    spec = json.loads(result.output)
    assert spec["openapi"].startswith("3.") and "/api/v1/enterprises" in spec["paths"]


def test_given_demo_data_when_rebuilt_embedded_then_status_shows_the_offsets_and_verify_matches(env) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["seed-demo"], env=env).exit_code == 0
    contexts = json.loads(runner.invoke(main, ["projections", "status"], env=env).output)["contexts"]
    stored = sum(contexts[c]["stored"] for c in ("placements", "training", "schedules"))  # centres follows these
    assert stored > 50
    rebuilt = runner.invoke(main, ["projections", "rebuild", "centres", "--embedded"], env=env)
    assert rebuilt.exit_code == 0 and f"rebuilt centres: {stored} events" in rebuilt.output
    status = json.loads(runner.invoke(main, ["projections", "status"], env=env).output)
    assert sum(status["projections"]["centres"]["offsets"].values()) == stored
    verified = runner.invoke(main, ["projections", "verify", "centres", "--embedded"], env=env)
    assert verified.exit_code == 0 and '"matches": true' in verified.output


def test_given_demo_data_loaded_when_seeding_again_then_nothing_is_added_unless_forced(env) -> None:
    runner = CliRunner()
    runner.invoke(main, ["seed-demo"], env=env)
    again = runner.invoke(main, ["seed-demo"], env=env)
    assert again.exit_code == 0 and "not loaded again" in again.output
    stored = json.loads(runner.invoke(main, ["projections", "status"], env=env).output)["contexts"]["placements"]["stored"]
    assert "not loaded again" in again.output
    assert runner.invoke(main, ["seed-demo", "--force"], env=env).exit_code == 0
    status = json.loads(runner.invoke(main, ["projections", "status"], env=env).output)
    assert status["contexts"]["placements"]["stored"] == 2 * stored


@pytest.mark.kafka
def test_given_kafka_start_then_status_shows_it_running_and_stop_ends_it(env) -> None:
    runner = CliRunner()
    started = runner.invoke(main, ["kafka", "start"], env=env)
    try:
        assert started.exit_code == 0, started.output
        bootstrap = started.output.strip().splitlines()[-1]
        assert bootstrap.startswith("127.0.0.1:")
        status = json.loads(runner.invoke(main, ["kafka", "status"], env=env).output)
        assert status["running"] and status["bootstrap_servers"] == bootstrap
    finally:
        runner.invoke(main, ["kafka", "stop"], env=env)
    assert json.loads(runner.invoke(main, ["kafka", "status"], env=env).output)["running"] is False


def test_given_demo_views_built_from_the_stores_when_audit_replay_runs_then_it_exits_0_and_lists_a_tampered_row(
    env, tmp_path: Path
) -> None:
    import sqlite3

    from dualtrack.bootstrap import PROJECTION_CLASSES

    runner = CliRunner()
    assert runner.invoke(main, ["seed-demo"], env=env).exit_code == 0
    for name in PROJECTION_CLASSES:
        assert runner.invoke(main, ["projections", "rebuild", name, "--embedded"], env=env).exit_code == 0
    clean = runner.invoke(main, ["audit", "replay", "--no-kafka"], env=env)
    assert clean.exit_code == 0, clean.output
    report = json.loads(clean.stdout)
    assert report["ok"] is True and "skipped" in json.dumps(report["kafka"])

    with sqlite3.connect(tmp_path / "var" / "views.sqlite3") as db:
        db.execute("UPDATE progress_students SET cohort = 1999 WHERE rowid = (SELECT MIN(rowid) FROM progress_students)")
    tampered = runner.invoke(main, ["audit", "replay", "--no-kafka"], env=env)
    assert tampered.exit_code == 1
    assert "progress_students" in tampered.stdout and "1999" in tampered.stdout
