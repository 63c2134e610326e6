"""`dualtrack audit verify` before anything is chained says there is nothing to verify instead of "ok": exit 0 on a
store with no event at all, exit 2 when events are stored and none is chained (nothing vouches for them yet)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

from dualtrack.bootstrap import Container
from dualtrack.cli import main
from services.common.identity import CommandContext
from tests.conftest import TEST_SECRET

pytestmark = pytest.mark.stored


def audit(container: Container, *args: str) -> Any:
    settings = container.settings
    env = {"DUALTRACK_DATA_DIR": str(settings.data_dir), "DUALTRACK_SECRET_KEY": TEST_SECRET,
           "DUALTRACK_DATABASE_URL": settings.database_url or ""}
    return CliRunner().invoke(main, ["audit", *args], env=env, catch_exceptions=False)


def test_given_a_store_with_no_event_when_verified_then_it_says_there_is_nothing_to_verify_and_exits_0(
    container: Container,
) -> None:
    verified = audit(container, "verify")

    assert verified.exit_code == 0, verified.output
    assert verified.stderr.strip() == "nothing to verify yet: no event has been stored or chained"
    report = json.loads(verified.stdout)
    assert report["ok"] is None and report["nothing_to_verify"] == verified.stderr.strip()


def test_given_events_stored_and_none_chained_when_verified_then_it_says_nothing_vouches_for_them_and_exits_2(
    container: Container, admin: CommandContext,
) -> None:
    container.placements.register_enterprise(admin, name="Haier")
    container.placements.register_enterprise(admin, name="CRRC")

    verified = audit(container, "verify")

    assert verified.exit_code == 2, verified.output
    said = verified.stderr.strip()
    assert said.startswith("nothing to verify yet: no event has been chained, and 2 event(s) are stored "
                           "(placements 2)"), said
    assert "dualtrack audit checkpoint" in said
    assert json.loads(verified.stdout)["ok"] is None

    assert audit(container, "checkpoint").exit_code == 0
    again = audit(container, "verify")
    assert again.exit_code == 0 and json.loads(again.stdout)["ok"] is True and again.stderr == ""


def test_given_only_a_context_with_no_event_asked_for_when_verified_then_there_is_nothing_to_verify(
    container: Container, admin: CommandContext,
) -> None:
    container.placements.register_enterprise(admin, name="Haier")
    assert audit(container, "checkpoint").exit_code == 0

    verified = audit(container, "verify", "--context", "credentials")

    assert verified.exit_code == 0
    assert verified.stderr.strip() == "nothing to verify yet: no event has been stored or chained"
