"""A small builder for Amazon States Language, in the spirit of AWS CDK's stepfunctions module:
states are objects, ``next`` chains them, ``add_retry`` / ``add_catch`` attach error handling,
and ``StateMachineDefinition.render()`` returns the ASL dict tests read directly."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

LAMBDA_TRANSIENT_ERRORS = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "Lambda.ClientExecutionTimeoutException",
)


@dataclass(frozen=True, kw_only=True)
class Retry:
    errors: Sequence[str]
    interval_seconds: int = 2
    max_attempts: int = 6
    backoff_rate: float = 2.0
    max_delay_seconds: int = 60
    jitter: str = "FULL"

    def longest_wait_s(self) -> int:
        """The most this retrier waits in all, between its attempts: each interval is
        ``interval * backoff^n`` capped at ``max_delay`` (full jitter only shortens them)."""
        return math.ceil(
            sum(
                min(self.interval_seconds * self.backoff_rate**n, self.max_delay_seconds)
                for n in range(self.max_attempts)
            )
        )

    def render(self) -> dict[str, Any]:
        return {
            "ErrorEquals": list(self.errors),
            "IntervalSeconds": self.interval_seconds,
            "MaxAttempts": self.max_attempts,
            "BackoffRate": self.backoff_rate,
            "MaxDelaySeconds": self.max_delay_seconds,
            "JitterStrategy": self.jitter,
        }


class State(ABC):
    def __init__(self, name: str) -> None:
        self.name = name
        self._next: State | None = None

    def next(self, state: State) -> State:
        """Chain ``state`` after this one; returns ``state`` so chains read top to bottom."""
        self._next = state
        return state

    def successors(self) -> list[State]:
        return [self._next] if self._next else []

    def _transition(self) -> dict[str, Any]:
        return {"Next": self._next.name} if self._next else {"End": True}

    @abstractmethod
    def render(self) -> dict[str, Any]:
        """This state's ASL."""


class _Guarded(State):
    """A state that can retry and catch errors (Task, Map)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._retries: list[Retry] = []
        self._catches: list[tuple[Sequence[str], State, str]] = []

    def add_retry(self, retry: Retry) -> _Guarded:
        self._retries.append(retry)
        return self

    def add_catch(
        self,
        handler: State,
        *,
        errors: Sequence[str] = ("States.ALL",),
        result_path: str = "$.error",
    ) -> _Guarded:
        self._catches.append((errors, handler, result_path))
        return self

    def successors(self) -> list[State]:
        return super().successors() + [handler for _, handler, _ in self._catches]

    def _error_handling(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self._retries:
            body["Retry"] = [r.render() for r in self._retries]
        if self._catches:
            body["Catch"] = [
                {"ErrorEquals": list(e), "Next": h.name, "ResultPath": p}
                for e, h, p in self._catches
            ]
        return body


class Task(_Guarded):
    def __init__(
        self,
        name: str,
        *,
        resource: str,
        parameters: Mapping[str, Any],
        result_selector: Mapping[str, Any] | None = None,
        result_path: str | None = "$",
        output_path: str | None = None,
        timeout_seconds: int | None = None,
    ) -> None:
        super().__init__(name)
        self._body: dict[str, Any] = {
            "Type": "Task",
            "Resource": resource,
            "Parameters": dict(parameters),
        }
        if result_selector is not None:
            self._body["ResultSelector"] = dict(result_selector)
        self._body["ResultPath"] = result_path
        if output_path:
            self._body["OutputPath"] = output_path
        if timeout_seconds:
            self._body["TimeoutSeconds"] = timeout_seconds
        self.timeout_seconds = timeout_seconds

    def longest_s(self) -> int:
        """The longest this task runs without anything hanging: one attempt at its whole
        ``TimeoutSeconds``, plus every retrier's longest wait (the retried attempts are
        counted as failing fast)."""
        if not self.timeout_seconds:
            raise ValueError(f"task {self.name!r} has no TimeoutSeconds: nothing bounds it")
        return self.timeout_seconds + sum(retry.longest_wait_s() for retry in self._retries)

    @classmethod
    def invoke_lambda(
        cls,
        name: str,
        *,
        function_arn: str,
        payload: Mapping[str, Any] | str,
        result_path: str,
        timeout_seconds: int,
    ) -> Task:
        """Invoke a function synchronously. Its return value lands at ``result_path``; with
        ``result_path="$"`` it replaces the state's input."""
        parameters: dict[str, Any] = {"FunctionName": function_arn}
        if isinstance(payload, str):
            parameters["Payload.$"] = payload
        else:
            parameters["Payload"] = dict(payload)
        replaces_input = result_path == "$"
        return cls(
            name,
            resource="arn:aws:states:::lambda:invoke",
            parameters=parameters,
            result_selector=None if replaces_input else {"value.$": "$.Payload"},
            result_path=result_path,
            output_path="$.Payload" if replaces_input else None,
            timeout_seconds=timeout_seconds,
        )

    def render(self) -> dict[str, Any]:
        return {**self._body, **self._error_handling(), **self._transition()}


class Map(_Guarded):
    def __init__(
        self,
        name: str,
        *,
        items_path: str,
        item_selector: Mapping[str, Any],
        iterator: State,
        max_concurrency: int,
        result_path: str | None,
    ) -> None:
        """``result_path=None`` discards the iterations' results (the state is unchanged)."""
        super().__init__(name)
        self._items_path, self._item_selector = items_path, dict(item_selector)
        self._iterator, self._max_concurrency, self._result_path = (
            iterator,
            max_concurrency,
            result_path,
        )

    def render(self) -> dict[str, Any]:
        return {
            "Type": "Map",
            "ItemsPath": self._items_path,
            "ItemSelector": self._item_selector,
            "MaxConcurrency": self._max_concurrency,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                **StateMachineDefinition(self._iterator).render(),
            },
            "ResultPath": self._result_path,
            **self._error_handling(),
            **self._transition(),
        }


class Choice(State):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._rules: list[tuple[dict[str, Any], State]] = []
        self._default: State | None = None

    def when(self, condition: Mapping[str, Any], state: State) -> Choice:
        self._rules.append((dict(condition), state))
        return self

    def otherwise(self, state: State) -> Choice:
        self._default = state
        return self

    def successors(self) -> list[State]:
        return [s for _, s in self._rules] + ([self._default] if self._default else [])

    def render(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "Type": "Choice",
            "Choices": [{**c, "Next": s.name} for c, s in self._rules],
        }
        if self._default:
            body["Default"] = self._default.name
        return body


class Pass(State):
    """Builds ``parameters`` from the state and places them at ``result_path`` (no InputPath:
    the parameters and the placement both see the whole state). Amazon States Language, Pass
    state: https://docs.aws.amazon.com/step-functions/latest/dg/state-pass.html"""

    def __init__(self, name: str, *, parameters: Mapping[str, Any], result_path: str) -> None:
        super().__init__(name)
        self._body: dict[str, Any] = {
            "Type": "Pass",
            "Parameters": dict(parameters),
            "ResultPath": result_path,
        }

    def render(self) -> dict[str, Any]:
        return {**self._body, **self._transition()}


class Succeed(State):
    def render(self) -> dict[str, Any]:
        return {"Type": "Succeed"}


class Fail(State):
    def __init__(self, name: str, *, error: str, cause: str) -> None:
        super().__init__(name)
        self._error, self._cause = error, cause

    def render(self) -> dict[str, Any]:
        return {"Type": "Fail", "Error": self._error, "Cause": self._cause}


class StateMachineDefinition:
    def __init__(
        self, start: State, *, comment: str = "", timeout_seconds: int | None = None
    ) -> None:
        """``timeout_seconds``: the top-level ``TimeoutSeconds``, the longest an execution may
        run before it ends ``TIMED_OUT`` (Amazon States Language, state machine structure:
        https://docs.aws.amazon.com/step-functions/latest/dg/statemachine-structure.html)."""
        self.start, self.comment, self.timeout_seconds = start, comment, timeout_seconds

    def states(self) -> list[State]:
        seen: dict[str, State] = {}
        pending = [self.start]
        while pending:
            state = pending.pop(0)
            if state.name in seen:
                if seen[state.name] is not state:
                    raise ValueError(f"two different states are named {state.name!r}")
                continue
            seen[state.name] = state
            pending.extend(state.successors())
        return list(seen.values())

    def render(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "StartAt": self.start.name,
            "States": {s.name: s.render() for s in self.states()},
        }
        if self.timeout_seconds is not None:
            body["TimeoutSeconds"] = self.timeout_seconds
        if self.comment:
            body = {"Comment": self.comment, **body}
        return body
