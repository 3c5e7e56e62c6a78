"""Network: the VPC, private subnets, endpoints, security groups and rejected-traffic flow
logs (encrypted with the data stack's key). Changes rarely."""

from __future__ import annotations

from cdktf import Fn
from constructs import Construct

from infra.config import EnvironmentConfig
from infra.constructs.network import PrivateNetwork
from infra.constructs.ssm_exports import ExportedValues, ImportedValues
from infra.stacks import data_stack
from infra.stacks.base import EnvironmentStack

NAME = "network"


class NetworkStack(EnvironmentStack):
    def __init__(self, scope: Construct, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, NAME, config=config)
        network = PrivateNetwork(
            self,
            "network",
            naming=config.naming,
            cidr=config.vpc_cidr,
            zones=config.availability_zones,
            region=config.region,
            interface_endpoints=config.interface_endpoints,
            flow_log_retention_days=config.log_retention_days,
            log_key_arn=ImportedValues(
                self, "data", naming=config.naming, stack=data_stack.NAME
            ).get("data_key_arn"),
        )
        ExportedValues(
            self,
            "exports",
            naming=config.naming,
            stack=NAME,
            values={
                "vpc_id": network.vpc.id,
                "subnet_ids": Fn.join(",", [s.id for s in network.subnets]),
                "function_security_group_id": network.function_security_group.id,
            },
        )
