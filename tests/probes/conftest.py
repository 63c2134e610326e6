"""What every probe module stands on: a copy of the demo world of its own, served by the app (a probe may change it:
its commands are refused, but a refusal that should have been one shows as a change)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.pages import PageSite, page_site


@pytest.fixture(scope="module")
def site(request: pytest.FixtureRequest, sqlite_demo_template: Any,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[PageSite]:
    with page_site(sqlite_demo_template, tmp_path_factory, request.module.__name__.rsplit(".", 1)[-1]) as built:
        yield built
