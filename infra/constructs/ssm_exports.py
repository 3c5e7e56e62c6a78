"""Cross-stack values through SSM Parameter Store: ``/pipeline/<env>/<suffix>/<stack>/<name>``."""

from __future__ import annotations

from collections.abc import Mapping

from cdktf import TerraformOutput
from cdktf_cdktf_provider_aws.data_aws_ssm_parameter import DataAwsSsmParameter
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from constructs import Construct

from infra.naming import Naming


class ExportedValues(Construct):
    """Writes each value to Parameter Store (and as a Terraform output, for people)."""

    def __init__(
        self, scope: Construct, id: str, *, naming: Naming, stack: str, values: Mapping[str, str]
    ) -> None:
        super().__init__(scope, id)
        for name, value in values.items():
            path = naming.ssm_path(stack, name)
            SsmParameter(
                self,
                name,
                name=path,
                type="String",
                value=value,
                description=f"{stack} stack output {name}",
            )
            TerraformOutput(scope, f"output-{name}", value=value)


class ImportedValues(Construct):
    """Reads another stack's exported values; ``get(name)`` returns the value as a token."""

    def __init__(self, scope: Construct, id: str, *, naming: Naming, stack: str) -> None:
        super().__init__(scope, id)
        self._naming, self._stack = naming, stack
        self._values: dict[str, DataAwsSsmParameter] = {}

    def get(self, name: str) -> str:
        if name not in self._values:
            self._values[name] = DataAwsSsmParameter(
                self, name, name=self._naming.ssm_path(self._stack, name)
            )
        return str(self._values[name].value)
