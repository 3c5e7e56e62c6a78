"""Bridges over moto's gaps, each small and named. Each has a test in tooling/emulator/tests that
fails once moto supports the call itself: then delete the shim.

- ``lambda_logging_config``: moto drops a function's ``LoggingConfig`` (CreateFunction,
  UpdateFunctionConfiguration) and never returns it, so every plan found our JSON log format
  and log group missing and updated all four functions again (~5 s each, one-service redeploys
  included). Keep what was sent and return it as AWS does, the log group defaulting to
  ``/aws/lambda/<function name>`` and the format to ``Text`` (LoggingConfig,
  https://docs.aws.amazon.com/lambda/latest/api/API_LoggingConfig.html).
- ``s3_eventbridge_notification``: moto keeps a bucket's ``EventBridgeConfiguration`` but
  leaves it out of GetBucketNotificationConfiguration, so every plan of the data stack found
  the raw bucket's EventBridge notifications off and turned them on again. Answer it as S3
  does, an empty ``<EventBridgeConfiguration/>`` element (NotificationConfiguration,
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_NotificationConfiguration.html).
- ``ec2_prefix_list_rule_description``: moto drops the ``Description`` of a security group
  rule whose destination is a prefix list (it keeps only a CIDR range's), so every plan of the
  network stack re-described both gateway-endpoint egress rules. A rule has one description
  whatever its destination (SecurityGroupRule,
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SecurityGroupRule.html).
- ``sfn_validate_definition``: ``ValidateStateMachineDefinition`` is not routed (the AWS
  provider calls it on plan and hangs retrying); answer "OK". Terraform validate and our own
  tests check the definition.
- ``sfn_list_versions``: ``ListStateMachineVersions`` is not routed (the provider reads it);
  answer "no versions" (we never publish versions).
- ``s3_policy_conditions``: moto applies a bucket-policy statement whatever its ``Bool``
  condition says, so our TLS-only policy (Deny when ``aws:SecureTransport`` is false) denies
  every request. Drop the statements whose ``Bool`` conditions do not hold, with the loopback
  emulator counted as secure transport; everything else is moto's own evaluation.
- ``eventbridge_to_sfn`` (in tooling/deploy/sample_day.py, not a patch): moto's EventBridge cannot start a
  Step Functions execution; the sample day starts each one with the event EventBridge sends.
- ``moto_reads_what_the_dashboard_asks`` (in metrics.py, beside the metrics it reads): moto's
  GetMetricData computes no percentile and no metric math; the dashboard asks for both.
- ``lambda_runs_real_handlers``: moto cannot run Lambda code without Docker; run the function's
  real handler from its deployed package and layers, in a subprocess (handler_runner).
- ``dynamodb_missing_table_named``: moto answers a call on a missing table "Requested resource
  not found"; AWS adds ": Table: <name> not found", and the AWS provider counts a DeleteTable
  answered so as done (the table is gone, e.g. a retried DeleteTable whose first answer was
  lost). Without the name a destroy fails on a table that no longer exists.
- ``s3_delete_marker_versions``: in a bucket whose versioning was suspended, moto cannot delete
  a key that has a delete marker (it disposes every version, and ``FakeDeleteMarker`` has no
  ``dispose``: DeleteObjects answers 500). A destroy suspends versioning, then the AWS provider
  empties the bucket (``force_destroy``) version by version. Objects the pipeline deletes
  (a regrouped chunk's, a failed run's) leave delete markers, so a destroy failed. AWS deletes
  a marker like any version (DeleteObjects with VersionId). Give markers a no-op ``dispose``.
- ``sfn_data_limit_is_terminal``: moto's ``States.ALL`` catches (and retries) every error;
  AWS's cannot catch ``States.DataLimitExceeded``, a terminal error (concepts-error-handling:
  "A terminal error that can't be caught by the States.ALL error type"). Locally a state over
  256 KiB ran the workflow's failure path; in AWS the execution just fails: no RecordFailure,
  no alert. Only a catcher or retrier that names the error matches it.
- ``sfn_task_input_quota``: moto checks a state's output and a task's result against the 256
  KiB quota, not a task's input after Parameters processing, which AWS also fails with
  ``States.DataLimitExceeded`` ("When, after Parameters processing, the input of a state is
  larger than the payload size quota"). Checked here before the task runs, measured as AWS
  does (UTF-8 JSON, no white space between tokens; moto's own checks count ", " and ": ").
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable
from typing import Any

from moto.awslambda.models import LambdaFunction
from moto.core.responses import ActionResult
from moto.stepfunctions.responses import StepFunctionResponse

from tooling.emulator import metrics

Invoker = Callable[[Any, Any], tuple[str, bool, str]]


def sfn_validate_definition() -> None:
    def validate_state_machine_definition(self: StepFunctionResponse) -> ActionResult:
        return ActionResult({"result": "OK", "diagnostics": [], "truncated": False})

    StepFunctionResponse.validate_state_machine_definition = validate_state_machine_definition  # type: ignore[attr-defined]


def sfn_list_versions() -> None:
    def list_state_machine_versions(self: StepFunctionResponse) -> ActionResult:
        return ActionResult({"stateMachineVersions": []})

    StepFunctionResponse.list_state_machine_versions = list_state_machine_versions  # type: ignore[attr-defined]


# The request context the emulator stands for: loopback, so as good as TLS.
S3_REQUEST_CONTEXT = {"aws:SecureTransport": "true"}


def _bool_conditions_hold(statement: dict[str, Any]) -> bool:
    for key, expected in statement.get("Condition", {}).get("Bool", {}).items():
        actual = S3_REQUEST_CONTEXT.get(key)
        if actual is not None and str(expected).lower() != actual:
            return False
    return True


def s3_policy_conditions() -> None:
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        statements = json.loads(self.policy)["Statement"]
        statements = statements if isinstance(statements, list) else [statements]
        applicable = [s for s in statements if _bool_conditions_hold(s)]
        if not applicable:
            return PermissionResult.NEUTRAL
        policy = IAMPolicy(json.dumps({"Version": "2012-10-17", "Statement": applicable}))
        return policy.is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]


def lambda_runs_real_handlers(invoke: Invoker) -> None:
    """``invoke(function, event)`` replaces moto's Docker-based ``_invoke_lambda``."""

    def _invoke_lambda(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
        return invoke(self, event)

    LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign]


def lambda_logging_config() -> None:
    created, configuration = LambdaFunction.__init__, LambdaFunction.get_configuration
    update = LambdaFunction.update_configuration

    def remember(function: LambdaFunction, sent: dict[str, Any] | None) -> None:
        if sent is not None or not hasattr(function, "logging_config"):
            function.logging_config = {  # type: ignore[attr-defined]
                "LogFormat": "Text",
                "LogGroup": f"/aws/lambda/{function.function_name}",
                **(sent or {}),
            }

    def __init__(self: LambdaFunction, *args: Any, **kwargs: Any) -> None:
        created(self, *args, **kwargs)
        spec = kwargs.get("spec", args[1] if len(args) > 1 else {})
        remember(self, spec.get("LoggingConfig"))

    def update_configuration(self: LambdaFunction, config_updates: dict[str, Any]) -> Any:
        remember(self, config_updates.get("LoggingConfig"))
        return update(self, config_updates)

    def get_configuration(self: LambdaFunction, on_create: bool = False) -> dict[str, Any]:
        answer = configuration(self, on_create)
        answer["LoggingConfig"] = dict(getattr(self, "logging_config", {}))
        return answer

    LambdaFunction.__init__ = __init__  # type: ignore[method-assign]
    LambdaFunction.update_configuration = update_configuration  # type: ignore[method-assign]
    LambdaFunction.get_configuration = get_configuration  # type: ignore[method-assign]


_NOTIFICATION_END = re.compile(
    r"(<NotificationConfiguration[^>]*?)(/>|>(.*)</NotificationConfiguration>)", re.S
)


def s3_eventbridge_notification() -> None:
    from moto.s3.responses import S3Response

    answer = S3Response.get_bucket_notification

    def get_bucket_notification(self: S3Response) -> Any:
        response = answer(self)
        configuration = self.backend.get_bucket_notification_configuration(self.bucket_name)
        if configuration is None or configuration.event_bridge is None:
            return response
        status, headers, body = response
        text = body.decode() if isinstance(body, bytes) else str(body)
        if "<NotificationConfiguration" not in text:  # no configuration element at all
            text += "<NotificationConfiguration></NotificationConfiguration>"
        text = _NOTIFICATION_END.sub(
            lambda m: f"{m[1]}>{m[3] or ''}<EventBridgeConfiguration/></NotificationConfiguration>",
            text,
            count=1,
        )
        return status, headers, text.encode() if isinstance(body, bytes) else text

    S3Response.get_bucket_notification = get_bucket_notification  # type: ignore[method-assign]


def ec2_prefix_list_rule_description() -> None:
    from moto.ec2.models.security_groups import SecurityGroupRule

    created = SecurityGroupRule.__init__
    signature = inspect.signature(created)

    def __init__(self: SecurityGroupRule, *args: Any, **kwargs: Any) -> None:
        created(self, *args, **kwargs)
        prefix_list = signature.bind(self, *args, **kwargs).arguments.get("prefix_list_id")
        described = (prefix_list or {}).get("Description")
        if described is not None and "Description" not in self.ip_range:
            self.ip_range = {**self.ip_range, "Description": described}

    SecurityGroupRule.__init__ = __init__  # type: ignore[method-assign]


def dynamodb_missing_table_named() -> None:
    from moto.dynamodb.exceptions import ResourceNotFoundException
    from moto.dynamodb.models import DynamoDBBackend

    find_table = DynamoDBBackend.get_table

    def get_table(self: DynamoDBBackend, table_name: str) -> Any:
        try:
            return find_table(self, table_name)
        except ResourceNotFoundException as missing:
            if "Table:" in missing.message:
                raise
            raise ResourceNotFoundException(table_name=table_name) from None

    DynamoDBBackend.get_table = get_table  # type: ignore[method-assign]


DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"


def sfn_data_limit_is_terminal() -> None:
    from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import (
        ErrorEqualsDecl,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.error_name import ErrorName
    from moto.stepfunctions.parser.asl.eval.environment import Environment

    matches = ErrorEqualsDecl._eval_body

    def _eval_body(self: ErrorEqualsDecl, env: Environment) -> None:
        error = env.stack[-1]
        named = any(e.error_name == DATA_LIMIT_EXCEEDED for e in self.error_names)
        if isinstance(error, ErrorName) and error.error_name == DATA_LIMIT_EXCEEDED and not named:
            env.stack.pop()
            env.stack.append(False)  # States.ALL (or States.TaskFailed) does not match it
            return
        matches(self, env)

    ErrorEqualsDecl._eval_body = _eval_body  # type: ignore[method-assign]


def sfn_task_input_quota() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
        StateTaskService,
    )
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    from tooling.emulator.limits import SFN_PAYLOAD_MAX_BYTES

    before = StateTaskService._before_eval_execution

    def _before_eval_execution(
        self: StateTaskService,
        env: Any,
        resource_runtime_part: Any,
        raw_parameters: dict[str, Any],
        state_credentials: Any,
    ) -> None:
        compact = to_json_str(raw_parameters, separators=(",", ":")).encode()
        if len(compact) > SFN_PAYLOAD_MAX_BYTES:
            self._verify_size_quota(env, raw_parameters)  # raises States.DataLimitExceeded
        before(self, env, resource_runtime_part, raw_parameters, state_credentials)

    StateTaskService._before_eval_execution = _before_eval_execution  # type: ignore[method-assign]


def s3_delete_marker_versions() -> None:
    from moto.s3.models import FakeDeleteMarker

    def dispose(self: FakeDeleteMarker, garbage: bool = False) -> None:
        """A marker holds no data to release."""

    FakeDeleteMarker.dispose = dispose  # type: ignore[attr-defined]


def install_all(invoke: Invoker) -> None:
    s3_delete_marker_versions()
    sfn_validate_definition()
    sfn_list_versions()
    s3_policy_conditions()
    dynamodb_missing_table_named()
    lambda_runs_real_handlers(invoke)
    lambda_logging_config()
    s3_eventbridge_notification()
    ec2_prefix_list_rule_description()
    sfn_data_limit_is_terminal()
    sfn_task_input_quota()
    metrics.moto_reads_what_the_dashboard_asks()
