"""The export routes: auditors and admins take a student's or a centre's record (extended and checkpointed first), it
verifies offline with the deployment's public key and fails after one changed byte; everyone else gets 403."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest

from dualtrack.web.app import create_app
from services.audit.export import MEDIA_TYPE, verify_export
from services.audit.export_api import export_blp
from services.common.identity import CommandContext, Role
from services.common.signing_keys import key_store
from tests.conftest import bearer
from tests.support.demo import Seeded

pytestmark = pytest.mark.api


def client_of(container: Any) -> Any:
    """The API with the export blueprint (registered here until the app factory registers it)."""
    app = create_app(container)
    if export_blp.name not in app.blueprints:
        app.extensions["flask-smorest"]["apis"][""]["ext_obj"].register_blueprint(export_blp)
    return app.test_client()


def test_given_an_auditor_when_exporting_a_student_then_the_file_verifies_offline_and_fails_after_one_changed_byte(
        seeded: Seeded) -> None:
    client = client_of(seeded.container)
    student = seeded.ids.students[0]

    response = client.get(f"/api/v1/audit/students/{student}/export", headers=bearer(Role.AUDITOR, "auditor-liu"))

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == MEDIA_TYPE
    assert f"student-{student}.jsonl" in response.headers["Content-Disposition"]
    data = response.get_data()
    public = key_store(seeded.container.settings).key_set()
    assert verify_export(data, public).ok
    offset = data.index(b'"stored_state":"', data.index(b"\n", data.index(b"\n") + 1)) + 30
    tampered = data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1:]
    verdict = verify_export(tampered, public)
    assert (verdict.ok, verdict.line) == (False, 3)


def test_given_an_admin_when_exporting_a_centre_right_after_a_change_then_the_change_is_in_the_proven_export(
        seeded: Seeded) -> None:
    client = client_of(seeded.container)
    centre = seeded.ids.centres[0]
    result = seeded.container.placements.change_centre_capacity(
        CommandContext.for_system("admin"), UUID(centre), capacity=18, reason="a fourth hall")

    response = client.get(f"/api/v1/audit/centres/{centre}/export", headers=bearer(Role.ADMIN, "admin"))

    assert response.status_code == 200
    verdict = verify_export(response.get_data(), key_store(seeded.container.settings).key_set())
    assert verdict.ok, verdict.message
    assert ["placements", result.position] in verdict.header["index"]


@pytest.mark.parametrize("role, scope", [
    (Role.COORDINATOR, {"school_id": "school"}), (Role.TEACHER, {"school_id": "school"}),
    (Role.MENTOR, {"enterprise_id": "enterprise"}), (Role.STUDENT, {"student_id": "student"}),
])
def test_given_anyone_but_auditors_and_admins_when_exporting_then_403(seeded: Seeded, role: Role,
                                                                        scope: dict[str, str]) -> None:
    client = client_of(seeded.container)
    ids = seeded.ids
    scope = {k: {"school": ids.schools[0], "enterprise": ids.enterprises[0], "student": ids.students[0]}[v]
             for k, v in scope.items()}

    for path in (f"students/{ids.students[0]}", f"centres/{ids.centres[0]}"):
        response = client.get(f"/api/v1/audit/{path}/export", headers=bearer(role, "someone", **scope))
        assert response.status_code == 403, (role, path)
        assert response.get_json()["error"]["code"] == "forbidden"


def test_given_no_token_or_an_unknown_id_when_exporting_then_401_and_404(seeded: Seeded) -> None:
    client = client_of(seeded.container)

    assert client.get(f"/api/v1/audit/students/{seeded.ids.students[0]}/export").status_code == 401
    unknown = client.get(f"/api/v1/audit/students/{uuid4()}/export", headers=bearer(Role.AUDITOR, "auditor-liu"))
    assert unknown.status_code == 404
    not_a_centre = client.get(f"/api/v1/audit/centres/{seeded.ids.students[0]}/export",
                              headers=bearer(Role.AUDITOR, "auditor-liu"))
    assert not_a_centre.status_code == 404


def test_given_the_openapi_document_then_the_export_routes_are_documented_as_json_lines(seeded: Seeded) -> None:
    spec = client_of(seeded.container).get("/api/openapi.json").json

    for path in ("/api/v1/audit/students/{student_id}/export", "/api/v1/audit/centres/{centre_id}/export"):
        operation = spec["paths"][path]["get"]
        assert operation["summary"] or operation["description"]
        assert "schema" in operation["responses"]["200"]["content"][MEDIA_TYPE]
        assert {"401", "403", "404", "409"} <= set(operation["responses"])
