"""A VPC of private subnets in three AZs and no NAT: code reaches S3 and DynamoDB through free
gateway endpoints, and any other AWS service only through an interface endpoint listed in the
environment's configuration (each costs ~$7.30 per AZ-month; docs/architecture.md)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from infra.naming import Naming

GATEWAY_SERVICES = ("s3", "dynamodb")
INTERFACE_SERVICES = frozenset(
    {"sns", "sqs", "states", "logs", "monitoring", "kms", "ssm", "lambda", "xray"}
)


@dataclass(frozen=True, kw_only=True)
class NetworkProps:
    naming: Naming
    """Names the VPC's many parts (per zone, per endpoint) the one way every name is made."""
    cidr: str
    """The VPC's range; each zone's subnet is a quarter of it."""
    zones: Sequence[str]
    region: str
    interface_endpoints: Sequence[str]
    """Services (of INTERFACE_SERVICES) reached through a paid interface endpoint."""


class PrivateNetwork(Construct):
    vpc: Vpc
    subnets: list[Subnet]
    function_security_group: SecurityGroup

    def __init__(self, scope: Construct, id: str, *, props: NetworkProps) -> None:
        super().__init__(scope, id)
        unknown = sorted(set(props.interface_endpoints) - INTERFACE_SERVICES)
        if unknown:
            raise ValueError(
                f"interface endpoint(s) {unknown}: not one of {sorted(INTERFACE_SERVICES)}"
            )
        self.vpc = Vpc(
            self,
            "vpc",
            cidr_block=props.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": props.naming.name("vpc")},
        )
        # Lock the default security group: nothing may use it by accident.
        DefaultSecurityGroup(self, "default-sg", vpc_id=self.vpc.id)
        blocks = list(ipaddress.ip_network(props.cidr).subnets(prefixlen_diff=2))
        routes = RouteTable(
            self,
            "private-routes",
            vpc_id=self.vpc.id,
            tags={"Name": props.naming.name("private-rt")},
        )
        self.subnets = []
        for index, zone in enumerate(props.zones):
            subnet = Subnet(
                self,
                f"private-{index}",
                vpc_id=self.vpc.id,
                cidr_block=str(blocks[index]),
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags={"Name": props.naming.name(f"private-{zone[-1]}")},
            )
            RouteTableAssociation(
                self, f"private-{index}-routes", subnet_id=subnet.id, route_table_id=routes.id
            )
            self.subnets.append(subnet)

        self.function_security_group = SecurityGroup(
            self,
            "functions",
            name=props.naming.name("functions-sg", kind="security-group"),
            description="Pipeline Lambda functions: HTTPS out to AWS endpoints only",
            vpc_id=self.vpc.id,
        )
        for service in GATEWAY_SERVICES:
            endpoint = VpcEndpoint(
                self,
                f"{service}-gateway",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{props.region}.{service}",
                vpc_endpoint_type="Gateway",
                route_table_ids=[routes.id],
                tags={"Name": props.naming.name(f"{service}-endpoint")},
            )
            VpcSecurityGroupEgressRule(
                self,
                f"to-{service}",
                security_group_id=self.function_security_group.id,
                description=f"HTTPS to {service} through its gateway endpoint",
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                prefix_list_id=endpoint.prefix_list_id,
            )
        if props.interface_endpoints:
            endpoint_sg = SecurityGroup(
                self,
                "endpoints",
                name=props.naming.name("endpoints-sg", kind="security-group"),
                description="Interface endpoints: HTTPS from the functions",
                vpc_id=self.vpc.id,
            )
            VpcSecurityGroupIngressRule(
                self,
                "endpoints-from-functions",
                security_group_id=endpoint_sg.id,
                description="HTTPS from pipeline functions",
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                referenced_security_group_id=self.function_security_group.id,
            )
            VpcSecurityGroupEgressRule(
                self,
                "to-interface-endpoints",
                security_group_id=self.function_security_group.id,
                description="HTTPS to interface endpoints",
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                referenced_security_group_id=endpoint_sg.id,
            )
            for service in props.interface_endpoints:
                VpcEndpoint(
                    self,
                    f"{service}-interface",
                    vpc_id=self.vpc.id,
                    service_name=f"com.amazonaws.{props.region}.{service}",
                    vpc_endpoint_type="Interface",
                    private_dns_enabled=True,
                    subnet_ids=[s.id for s in self.subnets],
                    security_group_ids=[endpoint_sg.id],
                    tags={"Name": props.naming.name(f"{service}-endpoint")},
                )
