"""Bridges over moto's gaps, each small and named. Each has a test in infra/local/tests that
fails once moto supports the call itself: then delete the shim.

- ``sfn_validate_definition``: ``ValidateStateMachineDefinition`` is not routed (the AWS
  provider calls it on plan and hangs retrying); answer "OK". Terraform validate and our own
  tests check the definition.
- ``sfn_list_versions``: ``ListStateMachineVersions`` is not routed (the provider reads it);
  answer "no versions" (we never publish versions).
- ``lambda_runs_real_handlers``: moto cannot run Lambda code without Docker; run the function's
  real handler from its deployed package and layers, in a subprocess (handler_runner).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.awslambda.models import LambdaFunction
from moto.core.responses import ActionResult
from moto.stepfunctions.responses import StepFunctionResponse

Invoker = Callable[[Any, Any], tuple[str, bool, str]]


def sfn_validate_definition() -> None:
    def validate_state_machine_definition(self: StepFunctionResponse) -> ActionResult:
        return ActionResult({"result": "OK", "diagnostics": [], "truncated": False})

    StepFunctionResponse.validate_state_machine_definition = validate_state_machine_definition  # type: ignore[attr-defined]


def sfn_list_versions() -> None:
    def list_state_machine_versions(self: StepFunctionResponse) -> ActionResult:
        return ActionResult({"stateMachineVersions": []})

    StepFunctionResponse.list_state_machine_versions = list_state_machine_versions  # type: ignore[attr-defined]


def lambda_runs_real_handlers(invoke: Invoker) -> None:
    """``invoke(function, event)`` replaces moto's Docker-based ``_invoke_lambda``."""

    def _invoke_lambda(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
        return invoke(self, event)

    LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign]


def install_all(invoke: Invoker) -> None:
    sfn_validate_definition()
    sfn_list_versions()
    lambda_runs_real_handlers(invoke)
