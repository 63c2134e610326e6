"""HTTP commands and queries of the schedules context: rotation plans drafted, checked, published and revised."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from contracts.http.common import CommandAccepted
from contracts.http.schedules import (
    ChangePlanDraftRequest,
    DraftPlanRequest,
    GeneratePlanRequest,
    PlanChangesQuery,
    PlanChangesSchema,
    PlanConflictSchema,
    PlanRevisionSchema,
    PlanRevisionSummarySchema,
    PlanSchema,
    PlansQuery,
    PlanSummarySchema,
    PublishPlanRequest,
    RevisePlanRequest,
)
from services.common.errors import NotFound
from services.schedules.application import SchedulesApplication
from services.schedules.domain.plan import DRAFT, PUBLISHED, Revision, RotationPlan
from toolkit.http.context import (
    command_context,
    current_actor,
    deployment,
    expected_version,
)
from toolkit.http.receipts import accepted, command_errors, errors_documented

blp = Blueprint(
    "schedules", __name__, url_prefix="/api/v1",
    description="Rotation plans: how a cohort alternates between school and enterprise blocks over a term. Drafted by "
    "hand or generated from a staggered pattern (with the reason for every allocation), checked for conflicts "
    "(double bookings, centres over capacity, blocks outside placements, holidays and exam weeks, weekly hour caps), "
    "published once every conflict is resolved or overridden with a justification, then changed only by revisions "
    "with a reason. Coordinators of the school and admins write; the school's staff, admins and auditors read its "
    "plans; a mentor reads the published plans placing students at a centre of their enterprise they mentor.",
)


def application() -> SchedulesApplication:
    """The schedules context's application, from the deployment."""
    return deployment().app("schedules")
_command_errors = command_errors(blp)


def _documented_command(fn: Any) -> Any:
    return _command_errors(errors_documented(blp, fn, {
        400: "the body is not JSON, or If-Match is not a version",
        422: "invalid fields (error.fields), or content that does not hold together (error.details.field names the "
             "place)"}))


_QUERY_ERRORS = {401: "no or invalid token", 403: "role or scope does not allow it", 404: "unknown plan or revision"}


def _documented_query(fn: Any, statuses: tuple[int, ...] = (401, 403, 404)) -> Any:
    return errors_documented(blp, fn, {status: _QUERY_ERRORS[status] for status in statuses})


def _documented_list(fn: Any) -> Any:
    """The list filters what the caller may read: it refuses nobody who is authenticated."""
    return _documented_query(fn, (401,))


def _overrides(body: dict[str, Any]) -> dict[str, str]:
    return {o["key"]: o["justification"] for o in body.get("overrides") or []}


# -- the plans --------------------------------------------------------------------------------------
@blp.route("/rotation-plans")
class RotationPlans(MethodView):
    @blp.arguments(PlansQuery, location="query")
    @blp.response(200, PlanSummarySchema(many=True))
    @_documented_list
    def get(self, query: dict[str, Any]) -> Any:
        """The plans the caller may read (of one school with school_id): drafts have revision 0. The school's
        coordinators and teachers see its plans, admins and auditors all, a mentor the published ones placing students
        at a centre they mentor; nobody else sees any."""
        school_id = str(query["school_id"]) if query.get("school_id") else None
        return [{"id": s.plan_id, "school_id": s.school_id, "cohort": s.cohort, "title": s.title,
                 "revision": s.revision, "status": DRAFT if s.revision == 0 else PUBLISHED}
                for s in application().plans(current_actor(), school_id)]

    @blp.arguments(DraftPlanRequest)
    @blp.response(201, CommandAccepted)
    @_documented_command
    def post(self, body: dict[str, Any]) -> Any:
        """Draft a plan by hand for a cohort of the school (its coordinators, admins). Its students must be the
        school's, its centres must exist; conflicts do not stop a draft (see the plan's conflicts)."""
        return accepted(application().draft_plan(command_context(), school_id=str(body["school_id"]),
                                                         cohort=body["cohort"], title=body["title"],
                                                         content=body["content"]), 201)


@blp.route("/rotation-plans/generated")
class GeneratedRotationPlans(MethodView):
    @blp.arguments(GeneratePlanRequest)
    @blp.response(201, CommandAccepted)
    @_documented_command
    def post(self, body: dict[str, Any]) -> Any:
        """Draft a plan from a pattern (its coordinators, admins): from a Monday, N weeks at school then M at
        enterprises, K cycles, G groups staggered through the cycle; each student at the centre of their approved
        placement covering most of the term. The plan's generated_from explains every allocation."""
        return accepted(application().generate_plan(command_context(), school_id=str(body["school_id"]),
                                                            cohort=body["cohort"], title=body["title"],
                                                            pattern=body["pattern"]), 201)


@blp.route("/rotation-plans/<uuid:plan_id>")
class RotationPlanById(MethodView):
    @blp.response(200, PlanSchema)
    @_documented_query
    def get(self, plan_id: UUID) -> Any:
        """The plan as its event store knows it now: the draft's content or the current revision's (ETag: its
        version). The school's coordinators and teachers, admins, auditors; once published, mentors of a centre it
        places students at."""
        plan = application().get_plan(current_actor(), plan_id)
        return _plan(plan), 200, {"ETag": f'"{plan.version}"'}


@blp.route("/rotation-plans/<uuid:plan_id>/draft")
class RotationPlanDraft(MethodView):
    @blp.arguments(ChangePlanDraftRequest)
    @blp.response(200, CommandAccepted)
    @_documented_command
    def put(self, body: dict[str, Any], plan_id: UUID) -> Any:
        """Replace the draft's content, given whole (`content`) or generated again from a `pattern` (exactly one).
        A published plan changes only by a revision (409 plan-published). Send If-Match to avoid lost updates."""
        return accepted(application().change_draft(command_context(), plan_id, content=body.get("content"),
                                                           pattern=body.get("pattern"),
                                                           expected_version=expected_version()))


@blp.route("/rotation-plans/<uuid:plan_id>/conflicts")
class RotationPlanConflicts(MethodView):
    @blp.response(200, PlanConflictSchema(many=True))
    @_documented_query
    def get(self, plan_id: UUID) -> Any:
        """Check the plan now (the draft, or the current revision) against placements, centres, rule sets and the
        other published plans: every conflict, by week. `overridden_with` holds the justification of an earlier
        revision that overrode exactly this conflict; the others each need an override to publish. ETag: the
        version checked."""
        schedules, actor = application(), current_actor()
        plan = schedules.get_plan(actor, plan_id)
        conflicts = schedules.check_plan(actor, plan_id)
        return ([{**c.to_dict(), "overridden_with": plan.justification_of(c)} for c in conflicts], 200,
                {"ETag": f'"{plan.version}"'})


@blp.route("/rotation-plans/<uuid:plan_id>/publication")
class RotationPlanPublication(MethodView):
    @blp.arguments(PublishPlanRequest)
    @blp.response(200, CommandAccepted)
    @_documented_command
    def post(self, body: dict[str, Any], plan_id: UUID) -> Any:
        """Publish the draft as revision 1, overriding each remaining conflict by its key with a justification.
        Refusals: 409 plan-has-conflicts (error.details.conflicts lists those not overridden),
        override-matches-no-conflict, plan-already-published."""
        return accepted(application().publish_plan(command_context(), plan_id, _overrides(body),
                                                           expected_version=expected_version()))


# -- revisions --------------------------------------------------------------------------------------
@blp.route("/rotation-plans/<uuid:plan_id>/revisions")
class RotationPlanRevisions(MethodView):
    @blp.response(200, PlanRevisionSummarySchema(many=True))
    @_documented_query
    def get(self, plan_id: UUID) -> Any:
        """Every published revision, oldest first: when, by whom, why, what changed from the one before and the
        conflicts it was published despite (without the content: read one revision for it). A draft has none."""
        plan = application().get_plan(current_actor(), plan_id)
        return [_revision(r) for r in plan.revisions], 200, {"ETag": f'"{plan.version}"'}

    @blp.arguments(RevisePlanRequest)
    @blp.response(201, CommandAccepted)
    @_documented_command
    def post(self, body: dict[str, Any], plan_id: UUID) -> Any:
        """Publish a new revision of a published plan: the whole new content and a reason; checked like a
        publication (409 plan-has-conflicts unless each new conflict is overridden), refused when it changes nothing
        (revision-changes-nothing) or the plan is still a draft (plan-not-published)."""
        return accepted(application().revise_plan(command_context(), plan_id, content=body["content"],
                                                          reason=body["reason"], overrides=_overrides(body),
                                                          expected_version=expected_version()), 201)


@blp.route("/rotation-plans/<uuid:plan_id>/revisions/<int:number>")
class RotationPlanRevision(MethodView):
    @blp.response(200, PlanRevisionSchema)
    @_documented_query
    def get(self, plan_id: UUID, number: int) -> Any:
        """One published revision with its content, as it was published."""
        plan = application().get_plan(current_actor(), plan_id)
        revision = plan.revision_numbered(number)
        if revision is None:
            raise NotFound(f"plan {plan_id} has no revision {number} (revisions 1..{plan.revision})", revision=number)
        return _revision(revision, with_content=True)


@blp.route("/rotation-plans/<uuid:plan_id>/changes")
class RotationPlanChanges(MethodView):
    @blp.arguments(PlanChangesQuery, location="query")
    @blp.response(200, PlanChangesSchema)
    @_documented_query
    def get(self, query: dict[str, Any], plan_id: UUID) -> Any:
        """What changed from revision `from` to revision `to` (either order): term, holidays, exam weeks, group
        members, blocks added, removed or changed, students moved between centres."""
        return application().changes_between(current_actor(), plan_id, query["first"], query["second"])


# -- shapes -----------------------------------------------------------------------------------------
def _plan(plan: RotationPlan) -> dict[str, Any]:
    return {"id": str(plan.id), "version": plan.version, "school_id": plan.school_id, "cohort": plan.cohort,
            "title": plan.title, "status": plan.status, "revision": plan.revision, "content": plan.content.to_dict(),
            "generated_from": plan.generated_from}


def _revision(revision: Revision, with_content: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "number": revision.number, "recorded_at": revision.recorded_at, "by": revision.by, "reason": revision.reason,
        "changes": revision.changes,
        "overrides": [{"conflict": o.conflict, "justification": o.justification, "by": o.by, "at": o.at}
                      for o in revision.overrides],
    }
    if with_content:
        body["content"] = revision.content.to_dict()
    return body
