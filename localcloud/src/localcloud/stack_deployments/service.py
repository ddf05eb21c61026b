"""The CloudFormation operations that deploy, update and delete stacks, answered by the local
cloud's own deploy pipeline (``localcloud.deploy``) instead of moto's CloudFormation.

A change set is prepared when it is created (``deploy.prepared.prepare_stack``: the SAM transform,
the code ``sam deploy`` uploaded, moto's fixups, and for an update the check that moto can apply
it), so whatever the local cloud cannot deploy fails the change set with its reason and nothing
is deployed. Executing it creates (or updates) the stack in moto and moves the running cloud to
it (``localcloud.running_stacks``) before answering: by the first ``DescribeStacks`` the stack is
``CREATE_COMPLETE`` (``UPDATE_COMPLETE``), its functions run the new code, its mappings poll and
its routes answer. ``CreateStack`` and ``UpdateStack`` (``sam sync``) do both steps at once and
answer an error, with nothing deployed, where a change set would fail. A create that fails in
moto is deleted again and leaves the stack ``ROLLBACK_COMPLETE``, as CloudFormation leaves it; an
update that fails there leaves it ``UPDATE_ROLLBACK_FAILED`` (moto cannot roll back).
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from botocore.exceptions import ClientError
from samtranslator.model.exceptions import InvalidDocumentException

from localcloud.clients import deployer_client
from localcloud.deploy.artifacts import CodeCache, code_in_s3
from localcloud.deploy.changes import ResourceChange, resource_changes
from localcloud.deploy.deployer import create, update
from localcloud.deploy.prepared import (
    Deployment,
    PreparedStack,
    prepare_stack,
    uses_sam_transform,
)
from localcloud.deploy.updates import UpdateRefused, plan_moto_update
from localcloud.moto_internals.cloudformation_stacks import (
    REVIEW_IN_PROGRESS,
    adopt_review_stack,
    fail_review_stack,
    fail_update,
    open_review_stack,
    take_review_stack,
)
from localcloud.running_stacks import RunningStacks
from localcloud.stack_deployments.change_sets import (
    NO_CHANGES,
    ChangeSet,
    ChangeSets,
    change_set_arn,
    check_name,
)
from localcloud.stack_deployments.protocol import QueryError, QueryRequest, Reply, result
from localcloud.stack_deployments.templates import (
    check_capabilities,
    parse_template,
    stack_parameters,
    template_text,
)

log = logging.getLogger(__name__)

# Where a stack cannot be changed, as CloudFormation says it.
_NOT_UPDATABLE = ("_IN_PROGRESS", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_COMPLETE")


class StackDeployments:
    def __init__(
        self,
        stacks: RunningStacks,
        *,
        endpoint_url: str,
        region: str,
        code_cache: CodeCache,
        refusal: str | None = None,
    ) -> None:
        self._stacks = stacks
        self._endpoint_url = endpoint_url
        self._region = region
        self._cache = code_cache
        # Why this cloud deploys nothing through CloudFormation (``up --persist``), if it does not.
        self._refusal = refusal
        self._change_sets = ChangeSets()
        self._lock = threading.Lock()  # one deploy at a time

    # -- what the middleware asks ------------------------------------------------------------

    def owns(self, request: QueryRequest) -> bool:
        """Whether this request is answered here rather than by moto."""
        action, stack_name = request.action, _name(request.get("StackName"))
        if action in (
            "CreateChangeSet",
            "DescribeChangeSet",
            "ExecuteChangeSet",
            "DeleteChangeSet",
            "ListChangeSets",
            "CreateStack",
            "UpdateStack",
        ):
            return True
        if action == "DeleteStack" and self._refusal:
            return True  # a persisted cloud's stack must come back as saved
        if action in ("DeleteStack", "GetTemplate"):
            known = stack_name is not None and self._stacks.get(stack_name) is not None
            return known or bool(self._change_sets.of_stack(request.get("StackName")))
        return False

    def handle(self, request: QueryRequest) -> Reply:
        handler = getattr(self, f"_{request.action}")
        answer: Reply = handler(request)
        return answer

    # -- change sets -------------------------------------------------------------------------

    def _CreateChangeSet(self, request: QueryRequest) -> Reply:
        self._check_allowed()
        stack_name = _required(request, "StackName")
        name = check_name(request.get("ChangeSetName"))
        change_set_type = request.get("ChangeSetType") or "UPDATE"
        if change_set_type not in ("CREATE", "UPDATE"):
            raise QueryError("ValidationError", f"ChangeSetType {change_set_type} is not supported")
        tags = {t["Key"]: t.get("Value", "") for t in request.members("Tags")}
        with self._lock:
            status = self._stack_status(stack_name)
            previous = self._stacks.get(stack_name)
            if change_set_type == "CREATE":
                if status is not None and status[1] != REVIEW_IN_PROGRESS:
                    raise QueryError(
                        "AlreadyExistsException", f"Stack [{stack_name}] already exists"
                    )
                stack_id = (
                    status[0] if status else open_review_stack(stack_name, self._region, tags)
                )
                previous = None
            else:
                stack_id = self._updatable(stack_name, status, previous)
            change_set = ChangeSet(
                change_set_id=change_set_arn(self._region, name),
                name=name,
                stack_name=stack_name,
                stack_id=stack_id,
                change_set_type="CREATE" if change_set_type == "CREATE" else "UPDATE",
                parameters={},
                capabilities=request.values("Capabilities"),
                tags=tags,
                description=request.get("Description"),
            )
            self._change_sets.add(change_set)
            try:
                prepared = self._prepare(request, stack_name, previous, change_set.capabilities)
                change_set.parameters = prepared.parameters
                change_set.completed(prepared, self._changes(prepared, previous, change_set))
            except QueryError as error:
                change_set.failed(error.message)
            except Exception as error:  # the reason goes to the change set, as CloudFormation's
                log.info("change set %s of %s failed: %s", name, stack_name, error)
                change_set.failed(_reason(error))
        return result("CreateChangeSet", {"Id": change_set.change_set_id, "StackId": stack_id})

    def _changes(
        self, prepared: PreparedStack, previous: Deployment | None, change_set: ChangeSet
    ) -> list[ResourceChange]:
        if previous is None:
            return resource_changes(prepared.resources, None)
        old = previous.prepared
        if (prepared.template, prepared.parameters) == (old.template, old.parameters):
            raise QueryError("ValidationError", NO_CHANGES)
        plan = plan_moto_update(prepared, self._region)  # UpdateRefused: the change set fails
        change_set.replaced = plan.replaced
        change_set.physical_ids = {i: pid for i, (_, pid) in previous.physical_ids.items()}
        return resource_changes(prepared.resources, old.resources, also_modified=plan.modified)

    def _DescribeChangeSet(self, request: QueryRequest) -> Reply:
        change_set = self._change_sets.find(request.get("ChangeSetName"), request.get("StackName"))
        return result("DescribeChangeSet", change_set.describe())

    def _ListChangeSets(self, request: QueryRequest) -> Reply:
        change_sets = self._change_sets.of_stack(_required(request, "StackName"))
        return result("ListChangeSets", {"Summaries": [c.summary() for c in change_sets]})

    def _DeleteChangeSet(self, request: QueryRequest) -> Reply:
        change_set = self._change_sets.find(request.get("ChangeSetName"), request.get("StackName"))
        if change_set.execution_status == "EXECUTE_IN_PROGRESS":
            raise QueryError(
                "InvalidChangeSetStatus",
                f"Cannot delete ChangeSet {change_set.change_set_id} while it is executing",
            )
        self._change_sets.remove(change_set)
        return result("DeleteChangeSet", {})

    def _ExecuteChangeSet(self, request: QueryRequest) -> Reply:
        change_set = self._change_sets.find(request.get("ChangeSetName"), request.get("StackName"))
        with self._lock:
            prepared = change_set.prepared
            if change_set.execution_status != "AVAILABLE" or prepared is None:
                raise QueryError(
                    "InvalidChangeSetStatus",
                    f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current "
                    f"status of [{change_set.execution_status}]",
                )
            change_set.execution_status = "EXECUTE_IN_PROGRESS"
            try:
                if change_set.change_set_type == "CREATE":
                    self._create(prepared)
                else:
                    self._update(prepared)
            except QueryError:
                change_set.execution_status = "EXECUTE_FAILED"
                raise
            except _Failed:
                # Reported through the stack's status and events, as CloudFormation reports it.
                change_set.execution_status = "EXECUTE_FAILED"
                return result("ExecuteChangeSet", {})
            change_set.execution_status = "EXECUTE_COMPLETE"
            for other in self._change_sets.of_stack(change_set.stack_name):
                if other is not change_set:
                    self._change_sets.remove(other)
        return result("ExecuteChangeSet", {})

    # -- stacks --------------------------------------------------------------------------------

    def _CreateStack(self, request: QueryRequest) -> Reply:
        self._check_allowed()
        stack_name = _required(request, "StackName")
        with self._lock:
            if self._stack_status(stack_name) is not None:
                raise QueryError("AlreadyExistsException", f"Stack [{stack_name}] already exists")
            prepared = self._prepare(request, stack_name, None, request.values("Capabilities"))
            try:
                deployment = self._create(prepared)
            except _Failed as failed:
                raise QueryError("ValidationError", str(failed)) from None
        return result("CreateStack", {"StackId": self._stack_id(deployment)})

    def _UpdateStack(self, request: QueryRequest) -> Reply:
        self._check_allowed()
        stack_name = _required(request, "StackName")
        with self._lock:
            previous = self._stacks.get(stack_name)
            self._updatable(stack_name, self._stack_status(stack_name), previous)
            assert previous is not None  # _updatable refuses a stack the cloud did not deploy
            prepared = self._prepare(request, stack_name, previous, request.values("Capabilities"))
            old = previous.prepared
            if (prepared.template, prepared.parameters) == (old.template, old.parameters):
                raise QueryError("ValidationError", "No updates are to be performed.")
            try:
                deployment = self._update(prepared)
            except _Failed as failed:
                raise QueryError("ValidationError", str(failed)) from None
        return result("UpdateStack", {"StackId": self._stack_id(deployment)})

    def _DeleteStack(self, request: QueryRequest) -> Reply:
        self._check_allowed()
        stack_name = _name(request.get("StackName")) or ""
        with self._lock:
            for change_set in self._change_sets.of_stack(stack_name):
                self._change_sets.remove(change_set)
            if self._stack_status(stack_name) is not None:
                self._cfn().delete_stack(StackName=stack_name)
            self._stacks.apply(stack_name, None)
        return result("DeleteStack", {})

    def _GetTemplate(self, request: QueryRequest) -> Reply:
        stack_name = _name(request.get("StackName")) or ""
        prepared: PreparedStack | None = None
        if request.get("ChangeSetName"):
            prepared = self._change_sets.find(request.get("ChangeSetName"), stack_name).prepared
        else:
            deployment = self._stacks.get(stack_name)
            prepared = deployment.prepared if deployment else None
        if prepared is None:
            raise QueryError("ValidationError", f"Stack with id {stack_name} does not exist")
        if request.get("TemplateStage") == "Processed":
            body = json.dumps(prepared.translated)
        else:
            body = prepared.template_body
        return result(
            "GetTemplate", {"TemplateBody": body, "StagesAvailable": ["Original", "Processed"]}
        )

    # -- the pipeline ----------------------------------------------------------------------------

    def _prepare(
        self,
        request: QueryRequest,
        stack_name: str,
        previous: Deployment | None,
        capabilities: list[str],
    ) -> PreparedStack:
        s3 = deployer_client("s3", self._endpoint_url, self._region)
        old = previous.prepared if previous else None
        text = template_text(request, s3, old)
        template = parse_template(text)
        parameters = stack_parameters(
            template, request.members("Parameters"), old.parameters if old else None
        )
        tags = {t["Key"]: t.get("Value", "") for t in request.members("Tags")}
        try:
            prepared = prepare_stack(
                template,
                parameters,
                template_body=text,
                stack_name=stack_name,
                region=self._region,
                locate_code=lambda translated: code_in_s3(translated, s3, self._cache),
                tags=tags if tags or old is None else old.tags,
            )
        except Exception as error:  # what the local cloud cannot deploy, and why
            log.info("%s: not deployed: %s", stack_name, _reason(error))
            raise QueryError("ValidationError", _reason(error)) from None
        expands = request.action != "CreateChangeSet" and uses_sam_transform(template)
        check_capabilities(prepared.translated, capabilities, expands=expands)
        return prepared

    def _create(self, prepared: PreparedStack) -> Deployment:
        name = prepared.stack_name
        review = take_review_stack(name, self._region)
        try:
            deployment = create(prepared, endpoint_url=self._endpoint_url, region=self._region)
        except Exception as error:
            reason = _reason(error)
            log.warning("creating %s failed, deleting what was created: %s", name, reason)
            if self._stack_status(name) is not None:
                self._cfn().delete_stack(StackName=name)
            if review is not None:
                fail_review_stack(self._region, review, reason)
            raise _Failed(reason) from error
        if review is not None:
            adopt_review_stack(name, self._region, review)
        self._stacks.apply(name, deployment)
        return deployment

    def _update(self, prepared: PreparedStack) -> Deployment:
        name = prepared.stack_name
        previous = self._stacks.get(name)
        assert previous is not None
        try:
            deployment = update(
                prepared, previous, endpoint_url=self._endpoint_url, region=self._region
            )
        except UpdateRefused as refused:  # checked before anything changed
            raise QueryError("ValidationError", str(refused)) from None
        except Exception as error:
            reason = _reason(error)
            log.warning("updating %s failed: %s", name, reason)
            fail_update(name, self._region, reason)
            raise _Failed(reason) from error
        self._stacks.apply(name, deployment)
        return deployment

    # -- helpers -------------------------------------------------------------------------------

    def _check_allowed(self) -> None:
        if self._refusal:
            raise QueryError("ValidationError", self._refusal)

    def _cfn(self) -> Any:
        return deployer_client("cloudformation", self._endpoint_url, self._region)

    def _stack_status(self, stack_name: str) -> tuple[str, str] | None:
        """(id, status) of the stack of that name in moto, None if there is none."""
        try:
            stack = self._cfn().describe_stacks(StackName=stack_name)["Stacks"][0]
        except ClientError:
            return None
        return str(stack["StackId"]), str(stack["StackStatus"])

    def _stack_id(self, deployment: Deployment) -> str:
        status = self._stack_status(deployment.stack.stack_name)
        return status[0] if status else ""

    def _updatable(
        self, stack_name: str, status: tuple[str, str] | None, previous: Deployment | None
    ) -> str:
        if status is None or status[1] == REVIEW_IN_PROGRESS:
            raise QueryError("ValidationError", f"Stack [{stack_name}] does not exist")
        stack_id, state = status
        if any(state.endswith(s) for s in _NOT_UPDATABLE):
            raise QueryError(
                "ValidationError",
                f"Stack:{stack_id} is in {state} state and can not be updated.",
            )
        if previous is None:
            raise QueryError(
                "ValidationError",
                f"Stack [{stack_name}] was not deployed by the local cloud's pipeline (it was "
                "created in moto directly), so the local cloud cannot update it: delete it and "
                "deploy it again",
            )
        return stack_id


class _Failed(Exception):
    """The deploy failed in moto; the stack shows it (its reason is the message)."""


def _name(name_or_id: str | None) -> str | None:
    """A stack's name, from itself or its ARN (``arn:...:stack/NAME/UUID``)."""
    if name_or_id and ":stack/" in name_or_id:
        return name_or_id.split(":stack/", 1)[1].split("/", 1)[0]
    return name_or_id


def _required(request: QueryRequest, field: str) -> str:
    value = request.get(field)
    if not value:
        raise QueryError("ValidationError", f"{field} is required")
    return _name(value) or value


def _reason(error: BaseException) -> str:
    """A failure as the user reads it; samtranslator's name the transform, as CloudFormation."""
    if isinstance(error, InvalidDocumentException):
        return f"Transform AWS::Serverless-2016-10-31 failed with: {error}"
    return str(error) or type(error).__name__
