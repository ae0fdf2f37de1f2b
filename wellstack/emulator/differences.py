"""What the emulator build changes and why, as plain data (no CDK import: the sandbox's command
line reads it without booting jsii)."""

from __future__ import annotations

#: What the local emulator (moto's server) forces to differ from a real deploy, and why.
EMULATOR_DIFFERENCES = (
    "The VPC's default security group keeps AWS's default rules: stripping them needs CDK's "
    "Lambda-backed custom resource, and the emulator cannot run Lambda functions (no Docker).",
    "KMS keys carry no tags: moto 5.2.5 fails on a tagged AWS::KMS::Key in a template "
    "(KeyError 'TagKey').",
    "Aurora instances state the cluster's EngineVersion: moto 5.2.5 has no default version "
    "for Aurora engines (KeyError 'aurora-mysql'); real Aurora takes it from the cluster.",
    "The app role gets no policy for the database secret, and the DR app stack no "
    "DatabaseEndpoint/ReaderEndpoint outputs: moto does not model Aurora clusters, so their "
    "attributes cannot be exported.",
    "The network is IPv4 only (`ipv6` and `dns64` are ignored): moto 5.2.5's CloudFormation "
    "models neither AWS::EC2::VPCCidrBlock nor AWS::EC2::EgressOnlyInternetGateway, and its "
    "subnets ignore Ipv6CidrBlock. Interface endpoints and `nat: endpoints_only` deploy as "
    "written (moto creates the endpoints, but answers no private DNS).",
    "A regional NAT gateway (`nat: regional`) deploys as one zonal NAT gateway (`single`): "
    "moto 5.2.5 creates every NAT gateway in a subnet (KeyError 'SubnetId' on one with "
    "AvailabilityMode regional).",
    "The load balancer faces the internet itself (`edge: cloudfront` is deployed as `alb`): "
    "moto 5.2.5's CloudFormation skips AWS::CloudFront::Distribution and VpcOrigin, and the "
    "custom resource that finds CloudFront's VPC-origin group needs Lambda.",
    "Cross-stack references are CloudFormation exports (Fn::ImportValue) instead of "
    "Fn::GetStackOutput, which moto does not resolve "
    "(-c @aws-cdk/core:defaultCrossStackReferences=strong).",
    "Stacks are deployed with `cdk deploy --method=direct --no-previous-parameters`: moto drops "
    "a stack's outputs when it is created through a change set, and its update_stack fails "
    "(KeyError 'BootstrapVersion') when the CLI reuses a previous parameter value. The direct "
    "method cannot pass `--import-existing-resources`, which a real deploy uses to adopt the "
    "log groups an earlier destroy kept; a moto fix adopts them instead.",
    "The failover records (`dr_domain_name`) go into a hosted zone the sandbox creates for the "
    "name's parent domain: moto chooses a hosted zone's id itself, so cdk.json's "
    "`dr_hosted_zone_id` does not exist there (NoSuchHostedZone).",
)
#: The context key that carries the sandbox's hosted zone id to the emulator build.
SANDBOX_ZONE_KEY = "wellstack:sandbox-hosted-zone"
#: Context the emulator build adds on the CDK CLI's command line.
EMULATOR_CONTEXT = ("-c", "@aws-cdk/core:defaultCrossStackReferences=strong")

__all__ = ["EMULATOR_CONTEXT", "EMULATOR_DIFFERENCES", "SANDBOX_ZONE_KEY"]
