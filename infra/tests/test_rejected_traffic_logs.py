"""Every VPC logs its rejected traffic. checkov's CKV2_AWS_11 looks for the flow log in the
VPC's own file, and the flow log is in the observability stack (so that the network reads no
other stack and deploys beside the data stack): this is that check across the stacks, with
what makes it true there, the SSM export and import that carry the VPC's id."""

from __future__ import annotations

import re

import pytest

from infra.exports import NetworkExport, Stack
from infra.naming import ENVIRONMENTS
from infra.tests.conftest import Synthesized

_SSM_READ = re.compile(r"^\$\{data\.aws_ssm_parameter\.([^.]+)\.value\}$")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_vpc_has_a_rejected_traffic_flow_log(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    stacks = synthesized[env].stacks
    vpcs = synthesized[env].resources("aws_vpc", Stack.NETWORK)
    assert len(vpcs) == 1
    (vpc,) = vpcs
    exported = {
        body["name"]: body["value"]
        for body in synthesized[env].resources("aws_ssm_parameter", Stack.NETWORK).values()
    }
    vpc_id_path = next(p for p in exported if p.endswith(f"/{NetworkExport.VPC_ID}"))
    assert exported[vpc_id_path] == f"${{aws_vpc.{vpc}.id}}"

    flow_logs = synthesized[env].resources("aws_flow_log")
    assert set(flow_logs) and all(
        name in stacks[Stack.OBSERVABILITY]["resource"]["aws_flow_log"] for name in flow_logs
    )
    (flow_log,) = flow_logs.values()
    assert flow_log["traffic_type"] == "REJECT"
    read = _SSM_READ.match(flow_log["vpc_id"])
    assert read, flow_log["vpc_id"]
    parameter = stacks[Stack.OBSERVABILITY]["data"]["aws_ssm_parameter"][read[1]]
    assert parameter["name"] == vpc_id_path
    group = flow_log["log_destination"].split(".")[1]
    log_group = synthesized[env].resources("aws_cloudwatch_log_group", Stack.OBSERVABILITY)[group]
    assert log_group["kms_key_id"] and log_group["retention_in_days"] > 0
