"""Accounts end to end, with real processes: `dualtrack serve` (two workers), `dualtrack mail send` to a real SMTP
server, and the console's `dualtrack people invite`.

An admin invited at the console sets a password and invites a coordinator, who sets hers from the mailed link,
signs in, invites a teacher and a student; a minor's guardian confirms her placement with the code mailed to
them; tokens refresh; "sign out everywhere" makes the next call a 401, and so does a withdrawn grant — whichever
worker answers.
"""

from __future__ import annotations

import http.client
import json
import re
import subprocess
from typing import Any

import pytest

from tests.conftest import make_settings
from tests.e2e.conftest import DUALTRACK, Processes, process_env, wait_for
from tests.support.smtp import SmtpServer, free_port, smtp_server  # noqa: F401 - a fixture

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PASSWORD = "a long enough passphrase"


class Api:
    """JSON over a real HTTP connection to the served API."""

    def __init__(self, port: int) -> None:
        self.port = port

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        answer = connection.getresponse()
        data = answer.read()
        connection.close()
        return answer.status, json.loads(data) if data else None

    def post(self, path: str, body: Any, token: str | None = None, status: int | None = None) -> Any:
        got, data = self.call("POST", "/api/v1" + path, body, token)
        assert got == status if status else got < 300, (path, got, data)
        return data

    def get(self, path: str, token: str | None) -> int:
        return self.call("GET", "/api/v1" + path, None, token)[0]

    def up(self) -> bool:
        try:
            return self.call("GET", "/healthz")[0] == 200
        except OSError:
            return False

    def sign_in(self, login: str) -> dict[str, Any]:
        return self.post("/auth/tokens", {"login": login, "password": PASSWORD}, status=201)

    def accept(self, mail_text: str) -> None:
        secret = re.search(r"/invitations/(\S+)", mail_text).group(1)
        self.post(f"/invitations/{secret}/acceptance", {"password": PASSWORD}, status=200)


def text_of(message: Any) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_given_a_deployment_when_people_are_invited_sign_in_and_sign_out_then_access_follows_at_once(
        tmp_path, smtp_server: SmtpServer) -> None:
    settings = make_settings(tmp_path / "var")
    port = free_port()
    env = {**process_env(settings), "DUALTRACK_SMTP_HOST": "127.0.0.1", "DUALTRACK_SMTP_PORT": str(smtp_server.port),
           "DUALTRACK_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    processes = Processes(settings, tmp_path)
    try:
        processes.start("serve", "--port", str(port), env=env)
        processes.start("mail", "send", env=env)
        api = Api(port)
        wait_for(api.up, 60, "the API")

        # The first admin, invited at the console: the link is printed there, and mailed.
        console = subprocess.run([DUALTRACK, "people", "invite", "--name", "Wu Ming", "--email",
                                  "wu@dualtrack.example", "--role", "admin"], env=env, capture_output=True, text=True,
                                 timeout=60)
        assert console.returncode == 0, console.stderr
        api.accept(console.stdout)
        assert "/invitations/" in text_of(smtp_server.wait_for(to="wu@dualtrack.example", timeout=30))
        admin = api.sign_in("wu@dualtrack.example")["access_token"]

        school = api.post("/schools", {"name": "Qingdao Technician College", "code": "QTC"}, admin)["id"]
        api.post("/invitations", {"name": "Chen Jing", "email": "chen@qtc.example", "role": "coordinator",
                                  "school_id": school}, admin, 201)
        api.accept(text_of(smtp_server.wait_for(to="chen@qtc.example", timeout=30)))
        chen = api.sign_in("chen@qtc.example")

        he = api.post(f"/schools/{school}/students", {
            "name": "He Xiaoyu", "major": "mechatronics", "cohort": 2025, "enrolment_date": "2025-09-01",
            "date_of_birth": "2010-06-30", "guardian_name": "He Jianguo",
            "guardian_contact": "he.jianguo@family.example"}, chen["access_token"], 201)["id"]
        liu = api.post(f"/schools/{school}/students", {
            "name": "Liu Yang", "major": "mechatronics", "cohort": 2024, "enrolment_date": "2024-09-01",
            "date_of_birth": "2006-03-01"}, chen["access_token"], 201)["id"]
        gao = api.post("/invitations", {"name": "Gao Yan", "email": "gao@qtc.example", "role": "teacher",
                                        "school_id": school}, chen["access_token"], 201)
        api.post("/invitations", {"name": "Liu Yang", "email": "liu@students.qtc.example", "role": "student",
                                  "student_id": liu}, chen["access_token"], 201)
        api.accept(text_of(smtp_server.wait_for(to="gao@qtc.example", timeout=30)))
        api.accept(text_of(smtp_server.wait_for(to="liu@students.qtc.example", timeout=30)))
        gao_token = api.sign_in("gao@qtc.example")["access_token"]
        assert api.get("/me", api.sign_in("liu@students.qtc.example")["access_token"]) == 200

        # The minor's placement: proposed and approved, then confirmed by her guardian with the mailed code.
        enterprise = api.post("/enterprises", {"name": "CRRC Qingdao Sifang"}, admin)["id"]
        centre = api.post(f"/enterprises/{enterprise}/centres", {
            "name": "Rail base", "address": "88 Jinhongdong Road", "capacity": 5,
            "specialities": ["mechatronics"]}, admin)["id"]
        api.post(f"/centres/{centre}/mentors", {"mentor_id": "mentor-of-the-rail-base", "name": "Zhao Min"}, admin)
        placement = api.post(f"/students/{he}/placements", {
            "centre_id": centre, "kind": "cognitive", "start": "2027-03-01", "planned_end": "2027-03-19",
            "post": "observer", "weekly_hours": 20}, chen["access_token"], 201)["placement_id"]
        base = f"/students/{he}/placements/{placement}"
        api.post(f"{base}/school-approval", {}, chen["access_token"], 200)
        api.post(f"{base}/enterprise-approval", {"mentor_id": "mentor-of-the-rail-base"}, admin, 200)
        api.post(f"{base}/guardian-code", {}, chen["access_token"], 202)
        code = re.search(r"\b(\d{8})\b", text_of(smtp_server.wait_for(to="he.jianguo@family.example",
                                                                       timeout=30))).group(1)
        api.post(f"{base}/guardian-confirmation", {"code": code}, status=200)
        api.post(f"{base}/guardian-confirmation", {"code": code}, status=401)

        # Tokens refresh; the used refresh token works no more.
        fresh = api.post("/auth/refresh", {"refresh_token": chen["refresh_token"]}, status=201)
        api.post("/auth/refresh", {"refresh_token": chen["refresh_token"]}, status=401)
        chen = api.sign_in("chen@qtc.example")
        laptop = api.sign_in("chen@qtc.example")
        for _ in range(4):  # whichever of the two workers answers
            assert api.get("/me", chen["access_token"]) == 200
        api.post("/auth/sign-out-everywhere", {}, laptop["access_token"], 204)
        for _ in range(4):
            assert api.get("/me", chen["access_token"]) == 401
            assert api.get("/me", laptop["access_token"]) == 401
            assert api.get("/me", fresh["access_token"]) == 401

        # A withdrawn grant ends access on the next request.
        assert api.get("/me", gao_token) == 200
        api.post(f"/people/{gao['person_id']}/grants/{gao['grant']['grant_id']}/withdrawal", {}, admin, 204)
        for _ in range(4):
            assert api.get("/me", gao_token) == 401
        assert api.post("/auth/tokens", {"login": "gao@qtc.example", "password": PASSWORD}, status=401)
    finally:
        processes.stop_all()
