"""HTTP commands of the placements context: enterprises, training centres, mentors."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from contracts.http.common import CommandAccepted, NoBody, ReasonRequest
from contracts.http.placements import (
    AmendRequest,
    AssignMentorRequest,
    ChangeCapacityRequest,
    CloseCentreRequest,
    ConfirmationRequest,
    DatedRequest,
    DateRequest,
    EnrolStudentRequest,
    EnterpriseApprovalRequest,
    EnterpriseSchema,
    GuardianCodeRequest,
    GuardianCodeSent,
    OpenCentreRequest,
    PauseRequest,
    PlacementAccepted,
    ProposePlacementRequest,
    RegisterEnterpriseRequest,
    RegisterSchoolRequest,
    SchoolSchema,
    StopRequest,
    StudentSchema,
    TransferRequest,
    WithdrawMentorRequest,
)
from services.common.rules import rule_set_in_force
from services.placements.access import sight_of_enrolment
from services.placements.application import PlacementsApplication
from toolkit.http.context import (
    act_as,
    command_context,
    correlation_id,
    current_actor,
    deployment,
    expected_version,
)
from toolkit.http.read_recording import record_read
from toolkit.http.receipts import accepted, command_errors, student_item_command

blp = Blueprint(
    "placements",
    __name__,
    url_prefix="/api/v1",
    description="Enterprises and their training centres, schools and students, and placements (commands; "
    "every command answers with the aggregate's new version as ETag and its event log position).",
)


def application() -> PlacementsApplication:
    """The placements context's application, from the deployment."""
    return deployment().app("placements")

_alt = command_errors(blp)


@blp.route("/enterprises")
class Enterprises(MethodView):
    @blp.arguments(RegisterEnterpriseRequest)
    @blp.response(201, CommandAccepted)
    @_alt
    def post(self, body: dict[str, Any]) -> Any:
        """Register an enterprise (admins)."""
        return accepted(application().register_enterprise(command_context(), **body), 201)


@blp.route("/enterprises/<uuid:enterprise_id>")
class EnterpriseById(MethodView):
    @blp.response(200, EnterpriseSchema)
    @_alt
    def get(self, enterprise_id: UUID) -> Any:
        """One enterprise as its event store knows it now."""
        current_actor()
        enterprise = application().get_enterprise(enterprise_id)
        return {
            "id": enterprise.id,
            "name": enterprise.name,
            "registration_number": enterprise.registration_number,
            "version": enterprise.version,
        }


@blp.route("/enterprises/<uuid:enterprise_id>/centres")
class EnterpriseCentres(MethodView):
    @blp.arguments(OpenCentreRequest)
    @blp.response(201, CommandAccepted)
    @_alt
    def post(self, body: dict[str, Any], enterprise_id: UUID) -> Any:
        """Open a training centre of this enterprise (admins, the enterprise's own mentors)."""
        result = application().open_centre(command_context(), enterprise_id=enterprise_id, **body)
        return accepted(result, 201)


@blp.route("/centres/<uuid:centre_id>/capacity")
class CentreCapacity(MethodView):
    @blp.arguments(ChangeCapacityRequest)
    @blp.response(200, CommandAccepted)
    @_alt
    def put(self, body: dict[str, Any], centre_id: UUID) -> Any:
        """Change the centre's capacity. Send If-Match with the version you saw to avoid lost updates."""
        result = application().change_centre_capacity(
            command_context(), centre_id, expected_version=expected_version(), **body
        )
        return accepted(result)


@blp.route("/centres/<uuid:centre_id>/mentors")
class CentreMentors(MethodView):
    @blp.arguments(AssignMentorRequest)
    @blp.response(200, CommandAccepted)
    @_alt
    def post(self, body: dict[str, Any], centre_id: UUID) -> Any:
        """Assign a mentor to the centre."""
        result = application().assign_mentor(
            command_context(), centre_id, expected_version=expected_version(), **body
        )
        return accepted(result)


@blp.route("/centres/<uuid:centre_id>/mentors/<string:mentor_id>/withdrawal")
class MentorWithdrawal(MethodView):
    @blp.arguments(WithdrawMentorRequest)
    @blp.response(200, CommandAccepted)
    @_alt
    def post(self, body: dict[str, Any], centre_id: UUID, mentor_id: str) -> Any:
        """Withdraw a mentor from the centre."""
        result = application().withdraw_mentor(
            command_context(), centre_id, mentor_id=mentor_id, expected_version=expected_version(), **body
        )
        return accepted(result)


@blp.route("/centres/<uuid:centre_id>/closure")
class CentreClosure(MethodView):
    @blp.arguments(CloseCentreRequest)
    @blp.response(200, CommandAccepted)
    @_alt
    def post(self, body: dict[str, Any], centre_id: UUID) -> Any:
        """Close the centre (a reason is required)."""
        result = application().close_centre(
            command_context(), centre_id, expected_version=expected_version(), **body
        )
        return accepted(result)


# -- schools and students -------------------------------------------------------------------------


@blp.route("/schools")
class Schools(MethodView):
    @blp.arguments(RegisterSchoolRequest)
    @blp.response(201, CommandAccepted)
    @_alt
    def post(self, body: dict[str, Any]) -> Any:
        """Register a school and the rule set its placements follow (admins)."""
        return accepted(application().register_school(command_context(), **body), 201)


@blp.route("/schools/<uuid:school_id>")
class SchoolById(MethodView):
    @blp.response(200, SchoolSchema)
    @_alt
    def get(self, school_id: UUID) -> Any:
        """One school as its event store knows it now."""
        current_actor()
        school = application().get_school(school_id)
        return {"id": school.id, "name": school.name, "code": school.code, "rule_set": school.rule_set,
                "version": school.version}


@blp.route("/schools/<uuid:school_id>/students")
class SchoolStudents(MethodView):
    @blp.arguments(EnrolStudentRequest)
    @blp.response(201, CommandAccepted)
    @_alt
    def post(self, body: dict[str, Any], school_id: UUID) -> Any:
        """Enrol a student at the school (its coordinators); a minor needs a guardian."""
        return accepted(application().enrol_student(command_context(), school_id, **body), 201)


@blp.route("/students/<uuid:student_id>")
class StudentById(MethodView):
    @blp.response(200, StudentSchema)
    @_alt
    def get(self, student_id: UUID) -> Any:
        """A student's enrolment, with the fields the caller may see: everything for their school's coordinators
        and teachers, admins, the student and their guardians; no birth date or guardian for auditors and for the
        host enterprise's mentors and enterprise admins (from the enterprise's approval of a placement until the
        edit window after its end); no name either for an enterprise only asked to host. Fields not shown are left
        out of the answer. Anyone else, and a host enterprise after that window, gets 403."""
        ctx = command_context()
        student = application().get_student(ctx, student_id)
        today = deployment().today()
        rules = rule_set_in_force(application().get_school(UUID(student.school_id)).rule_set, today)
        sight = sight_of_enrolment(ctx.actor, student, rules, today)
        record_read(student_id, "enrolment")
        return sight.shown({
            "id": student.id, "school_id": student.school_id, "name": student.name, "major": student.major,
            "cohort": student.cohort, "enrolment_date": student.enrolment_date, "date_of_birth": student.date_of_birth,
            "guardian_name": student.guardian_name, "guardian_contact": student.guardian_contact,
            "version": student.version})


# -- placements -----------------------------------------------------------------------------------


@blp.route("/students/<uuid:student_id>/placements")
class StudentPlacementProposals(MethodView):
    @blp.arguments(ProposePlacementRequest)
    @blp.response(201, PlacementAccepted)
    @_alt
    def post(self, body: dict[str, Any], student_id: UUID) -> Any:
        """Propose a placement at a training centre (coordinators of the student's school)."""
        result = application().propose_placement(
            command_context(), student_id, expected_version=expected_version(), **body)
        return accepted(result, 201)


def _placement_command(path: str, handler_name: str, request_schema: Any, summary: str) -> None:
    student_item_command(blp, context="placements", collection="placements", item="placement_id", path=path,
                         handler_name=handler_name, request_schema=request_schema,
                         response_schema=PlacementAccepted, summary=summary)


_placement_command("school-approval", "approve_placement_as_school", NoBody,
                   "The school approves the terms awaiting approval (coordinators of the student's school).")
_placement_command("enterprise-approval", "approve_placement_as_enterprise", EnterpriseApprovalRequest,
                   "The enterprise approves the terms and names the mentor (its mentors, admins).")
_placement_command("confirmation", "confirm_placement", ConfirmationRequest,
                   "The student confirms (for a minor, the guardian, where the rule set asks for it).")
_placement_command("activation", "activate_placement", DateRequest,
                   "Start an agreed placement, on or after its start date (school or enterprise staff).")
_placement_command("pause", "pause_placement", PauseRequest,
                   "Pause an active placement with a reason (school or enterprise staff).")
_placement_command("resumption", "resume_placement", DatedRequest,
                   "Resume a paused placement (school or enterprise staff).")
_placement_command("stop", "stop_placement", StopRequest,
                   "End the placement early: a date within it, a reason from the list (coordinators).")
_placement_command("completion", "complete_placement", DateRequest,
                   "Mark the placement completed (coordinators).")
_placement_command("withdrawal", "withdraw_placement", ReasonRequest,
                   "Withdraw a placement that has not started; its place is freed (coordinators).")
_placement_command("transfer", "transfer_placement", TransferRequest,
                   "Move the student to another centre from a date: a new linked placement (coordinators).")
_placement_command("amendment", "amend_placement", AmendRequest,
                   "Propose new terms; school and enterprise approve them again (coordinators).")


@blp.route("/students/<uuid:student_id>/placements/<uuid:placement_id>/guardian-code")
class GuardianCode(MethodView):
    @blp.arguments(NoBody)
    @blp.response(202, GuardianCodeSent)
    @_alt
    def post(self, body: dict[str, Any], student_id: UUID, placement_id: UUID) -> Any:
        """Mail a one-time code to the student's enrolled guardian, with which they confirm this placement without
        an account (the student, or their school's coordinators, ask; a new code replaces the one sent before)."""
        ctx = command_context()
        guardian = application().guardian_to_ask(ctx, student_id, str(placement_id))
        sent_to, expires_at = deployment().sessions().send_guardian_code(
            ctx, student_id=guardian.student_id, placement_id=guardian.placement_id, guardian_email=guardian.email,
            guardian_name=guardian.guardian_name, student_name=guardian.student_name)
        return {"sent_to": sent_to, "expires_at": expires_at}


@blp.route("/students/<uuid:student_id>/placements/<uuid:placement_id>/guardian-confirmation")
class GuardianConfirmation(MethodView):
    @blp.arguments(GuardianCodeRequest)
    @blp.response(200, PlacementAccepted)
    @blp.doc(security=[])
    @_alt
    def post(self, body: dict[str, Any], student_id: UUID, placement_id: UUID) -> Any:
        """The guardian confirms the placement with the code mailed to them (no token: the code is the credential;
        five wrong codes void it)."""
        credentials = deployment().sessions()
        actor = credentials.actor_of_guardian_code(str(student_id), str(placement_id), body["code"], correlation_id())
        act_as(actor)
        result = application().confirm_placement(command_context(), student_id, str(placement_id),
                                                 expected_version=expected_version())
        credentials.use_guardian_code(str(student_id), str(placement_id), correlation_id())
        return accepted(result)
