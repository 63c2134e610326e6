"""The import contracts hold, and each one breaks when a wrong import is planted in a copy of the code.

A contract that nothing can break protects nothing: each test plants one import that goes the wrong way in a
copy of the packages and runs import-linter on the copy with the project's own contracts.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("events", "contracts", "toolkit", "services", "dualtrack")
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))

pytestmark = pytest.mark.unit

LAYERS = "Every import points down"
WITHIN = "Within a context"
INDEPENDENT = "Contexts and read models are independent"
FRAMEWORK_FREE = "The domain and its events stay free"


def lint(tree: Path) -> tuple[int, dict[str, str]]:
    """Run import-linter on a tree; the exit code and each contract's verdict (KEPT or BROKEN) by name."""
    done = subprocess.run([LINT_IMPORTS, "--no-cache", "--no-logo", "pyproject.toml"], cwd=tree, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(tree)}, timeout=120)
    text = " ".join(done.stdout.split())  # the report wraps long contract names over lines
    verdicts = {name: verdict for name in (LAYERS, WITHIN, INDEPENDENT, FRAMEWORK_FREE)
                for verdict in re.findall(re.escape(name) + r"[^.]*?(KEPT|BROKEN)", text)[:1]}
    return done.returncode, verdicts


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the packages and the contracts."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def plant(tree: Path, module: str, line: str) -> None:
    path = tree / module
    path.write_text(path.read_text() + f"\n{line}\n")


def test_given_the_code_as_it_is_when_import_linter_runs_then_every_contract_is_kept(tree: Path) -> None:
    code, verdicts = lint(tree)
    assert verdicts == {LAYERS: "KEPT", WITHIN: "KEPT", INDEPENDENT: "KEPT", FRAMEWORK_FREE: "KEPT"}
    assert code == 0


@pytest.mark.parametrize(("module", "wrong_import", "contract"), [
    ("services/common/errors.py", "import toolkit.cloudevents", LAYERS),
    ("contracts/http/common.py", "import services.progress.views", LAYERS),
    ("toolkit/http/receipts.py", "import dualtrack.bootstrap", LAYERS),
    ("services/placements/domain/school.py", "import services.placements.application", WITHIN),
    ("services/training/application.py", "import services.training.api", WITHIN),
    ("services/progress/views.py", "import services.centres.views", INDEPENDENT),
    ("services/credentials/application.py", "import services.training.application", INDEPENDENT),
    ("services/schedules/domain/content.py", "import flask", FRAMEWORK_FREE),
    ("events/training.py", "import contracts.events.training", FRAMEWORK_FREE),
], ids=["common-imports-toolkit", "contracts-import-a-read-model", "toolkit-imports-the-shell",
        "domain-imports-its-application", "application-imports-its-api", "read-model-imports-another",
        "context-imports-another-outside-its-adapters", "domain-imports-flask", "events-import-contracts"])
def test_given_a_wrong_import_planted_when_import_linter_runs_then_its_contract_is_broken(
        tree: Path, module: str, wrong_import: str, contract: str) -> None:
    plant(tree, module, wrong_import)
    code, verdicts = lint(tree)
    assert verdicts.get(contract) == "BROKEN", verdicts
    assert code != 0


def test_given_the_source_packages_then_no_module_is_longer_than_a_reader_can_hold() -> None:
    longest = 400
    too_long = {str(path.relative_to(ROOT)): n for package in ("services", "dualtrack", "contracts", "toolkit", "events")
                for path in (ROOT / package).rglob("*.py")
                if (n := len(path.read_text().splitlines())) > longest}
    assert too_long == {}, f"split these along their seams (at most {longest} lines a module)"
