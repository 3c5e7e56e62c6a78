"""Cross-stack values through SSM Parameter Store: ``/pipeline/<env>/<suffix>/<stack>/<name>``,
each named by its member of the stack's typed list (infra/exports.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_ssm_parameter import DataAwsSsmParameter
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from constructs import Construct

from infra.exports import Stack, StackExport
from infra.naming import Naming


@dataclass(frozen=True, kw_only=True)
class ExportedValuesProps:
    naming: Naming
    values: Mapping[StackExport, str]
    """Every member of one stack's export list (infra/exports.py), with its value."""


class ExportedValues(Construct):
    """Writes each value to Parameter Store (and as a Terraform output, for people). A stack
    exports all of its list or fails synth: an importer or operator tool never finds a value
    missing at plan time or in a live re-drive."""

    def __init__(self, scope: Construct, id: str, *, props: ExportedValuesProps) -> None:
        super().__init__(scope, id)
        kinds = {type(export) for export in props.values}
        if len(kinds) != 1:
            raise ValueError(
                f"one stack's exports at a time, not {sorted(k.__name__ for k in kinds)}"
            )
        (kind,) = kinds
        missing = [export.value for export in kind if export not in props.values]
        if missing:
            raise ValueError(f"the {kind.stack()} stack does not export {', '.join(missing)}")
        for export, value in props.values.items():
            SsmParameter(
                self,
                export.value,
                name=props.naming.ssm_path(export.stack(), export.value),
                type="String",
                value=value,
                description=f"{export.stack()} stack output {export.value}",
            )
            TerraformOutput(scope, f"output-{export.value}", value=value)


@dataclass(frozen=True, kw_only=True)
class ImportedValuesProps:
    naming: Naming
    stack: Stack


class ImportedValues(Construct):
    """Reads values another stack exported; ``get(export)`` returns one as a token.

    The reading stack depends on the exporting one (``add_dependency``): the CDKTF CLI's
    manifest then orders them, so ``cdktf deploy '*'`` in envs/<env> applies the exporter
    first, as the deploy tool does (infra.exports.STACK_ORDER)."""

    def __init__(self, scope: Construct, id: str, *, props: ImportedValuesProps) -> None:
        super().__init__(scope, id)
        reader = TerraformStack.of(self)
        exporter = reader.node.scope.node.try_find_child(props.stack) if reader.node.scope else None
        if not isinstance(exporter, TerraformStack):
            raise ValueError(
                f"{reader.node.id} reads the {props.stack} stack's values, "
                "which this app does not synthesize"
            )
        reader.add_dependency(exporter)
        self._props = props
        self._values: dict[str, DataAwsSsmParameter] = {}

    def get(self, export: StackExport) -> str:
        if export.stack() != self._props.stack:
            raise ValueError(f"{export.key} is not a value of the {self._props.stack} stack")
        if export.value not in self._values:
            self._values[export.value] = DataAwsSsmParameter(
                self, export.value, name=self._props.naming.ssm_path(export.stack(), export.value)
            )
        return str(self._values[export.value].value)
