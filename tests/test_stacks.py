"""The default app's stacks wired together: Network -> Data -> App."""

from __future__ import annotations

from tests.cfn import egress_rules, ingress_rules, ref, resources


def group_ids(template):
    found = {}
    for logical_id in resources(template, "AWS::EC2::SecurityGroup"):
        for name in ("Web", "App", "Database"):
            if logical_id.startswith(f"SecurityGroups{name}"):
                found[name.lower()] = logical_id
    return found


def test_three_stacks(dev_app):
    names = [stack.stack_name for stack in dev_app.assembly.stacks]
    assert sorted(names) == ["DevApp", "DevData", "DevNetwork"]


def test_security_group_chain_end_to_end(dev_app):
    """internet -> web:80 -> app:80 -> database:3306, and nothing else."""
    network = dev_app.template("DevNetwork")
    groups = group_ids(network)
    assert set(groups) == {"web", "app", "database"}

    def summary(rule):
        source = rule.get("CidrIp") or rule.get("CidrIpv6") or ref(rule["SourceSecurityGroupId"])
        return (source, rule["IpProtocol"], rule["FromPort"], rule["ToPort"])

    assert [summary(r) for r in ingress_rules(network, groups["web"])] == [
        ("0.0.0.0/0", "tcp", 80, 80)
    ]
    assert [summary(r) for r in ingress_rules(network, groups["app"])] == [
        (groups["web"], "tcp", 80, 80)
    ]
    assert [summary(r) for r in ingress_rules(network, groups["database"])] == [
        (groups["app"], "tcp", 3306, 3306)
    ]
    # No ingress rule for these groups lives in another stack.
    for stack in ("DevData", "DevApp"):
        assert not resources(dev_app.template(stack), "AWS::EC2::SecurityGroupIngress")
    assert [r.get("CidrIp") for r in egress_rules(network, groups["database"])] == [
        "255.255.255.255/32"
    ]


def test_tiers_use_the_network_groups(dev_app):
    app = dev_app.template("DevApp")
    data = dev_app.template("DevData")
    (lb,) = resources(app, "AWS::ElasticLoadBalancingV2::LoadBalancer").values()
    assert "SecurityGroupsWeb" in str(lb["Properties"]["SecurityGroups"])
    (lt,) = resources(app, "AWS::EC2::LaunchTemplate").values()
    assert "SecurityGroupsApp" in str(lt["Properties"]["LaunchTemplateData"]["SecurityGroupIds"])
    (cluster,) = resources(data, "AWS::RDS::DBCluster").values()
    assert "SecurityGroupsDatabase" in str(cluster["Properties"]["VpcSecurityGroupIds"])


def test_data_stack_holds_the_cluster_and_the_bucket(dev_app):
    data = dev_app.template("DevData")
    assert len(resources(data, "AWS::RDS::DBCluster")) == 1
    assert len(resources(data, "AWS::RDS::DBInstance")) == 2  # dev: writer + 1 reader
    buckets = sorted(resources(data, "AWS::S3::Bucket"))
    assert len(buckets) == 2
    assert buckets[0].startswith("Assets") and not buckets[0].startswith("AssetsAccessLogs")
    assert buckets[1].startswith("AssetsAccessLogs")


def test_instances_may_read_the_database_secret(dev_app):
    app = dev_app.template("DevApp")
    statements = [
        s
        for policy in resources(app, "AWS::IAM::Policy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    secret = [s for s in statements if "secretsmanager:GetSecretValue" in s["Action"]]
    assert len(secret) == 1 and "MasterUserSecretSecretArn" in str(secret[0]["Resource"])
    decrypt = [s for s in statements if s["Action"] == "kms:Decrypt"]
    assert len(decrypt) == 1
    assert "secretsmanager.ap-northeast-2" in str(decrypt[0]["Condition"])


def test_load_balancer_url_output(dev_app):
    outputs = dev_app.template("DevApp")["Outputs"]
    url = outputs["LoadBalancerUrl"]["Value"]
    assert "http://" in str(url) and "DNSName" in str(url)
