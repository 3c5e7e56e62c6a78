"""Network: the VPC, private subnets, endpoints and security groups. Reads no other stack, so it
deploys beside the data stack. Changes rarely."""

from __future__ import annotations

from cdktf import Fn
from constructs import Construct

from infra.config import EnvironmentConfig
from infra.constructs.network import NetworkProps, PrivateNetwork
from infra.constructs.ssm_exports import (
    ExportedValues,
    ExportedValuesProps,
)
from infra.exports import NetworkExport, Stack
from infra.stacks.base import EnvironmentStack

NAME = Stack.NETWORK


class NetworkStack(EnvironmentStack):
    def __init__(self, scope: Construct, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, NAME, config=config)
        network = PrivateNetwork(
            self,
            "network",
            props=NetworkProps(
                naming=config.naming,
                cidr=config.vpc_cidr,
                zones=config.availability_zones,
                region=config.region,
                interface_endpoints=config.interface_endpoints,
            ),
        )
        ExportedValues(
            self,
            "exports",
            props=ExportedValuesProps(
                naming=config.naming,
                values={
                    NetworkExport.VPC_ID: network.vpc.id,
                    NetworkExport.SUBNET_IDS: Fn.join(",", [s.id for s in network.subnets]),
                    NetworkExport.FUNCTION_SECURITY_GROUP_ID: network.function_security_group.id,
                },
            ),
        )
