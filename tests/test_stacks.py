"""The default app's stacks wired together: Network -> Data -> App."""

from __future__ import annotations

from wellstack.analysis.template import egress_rules, ingress_rules, ref, resources


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
        for policy in resources(app, "AWS::IAM::ManagedPolicy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    secret = [s for s in statements if "secretsmanager:GetSecretValue" in s["Action"]]
    assert len(secret) == 1 and "MasterUserSecretSecretArn" in str(secret[0]["Resource"])
    decrypt = [s for s in statements if s["Action"] == "kms:Decrypt"]
    assert len(decrypt) == 1
    assert "secretsmanager.ap-northeast-2" in str(decrypt[0]["Condition"])


def test_no_inline_policies_anywhere(dev_app):
    for stack in ("DevNetwork", "DevData", "DevApp"):
        assert not resources(dev_app.template(stack), "AWS::IAM::Policy"), stack


def test_waf_on_the_load_balancer_with_encrypted_logs(dev_app):
    app = dev_app.template("DevApp")
    (acl,) = resources(app, "AWS::WAFv2::WebACL").values()
    groups = [
        r["Statement"]["ManagedRuleGroupStatement"]["Name"] for r in acl["Properties"]["Rules"]
    ]
    assert "AWSManagedRulesCommonRuleSet" in groups
    (association,) = resources(app, "AWS::WAFv2::WebACLAssociation").values()
    assert "LoadBalancer" in str(association["Properties"]["ResourceArn"])
    (logging,) = resources(app, "AWS::WAFv2::LoggingConfiguration").values()
    assert "aws-waf-logs-" in str(logging["Properties"]["LogDestinationConfigs"])
    for group in resources(app, "AWS::Logs::LogGroup").values():
        assert "KmsKeyId" in group["Properties"] and group["Properties"]["RetentionInDays"] == 30


def test_flow_logs_are_encrypted_with_a_key_logs_may_use(dev_app):
    network = dev_app.template("DevNetwork")
    (group,) = resources(network, "AWS::Logs::LogGroup").values()
    key_id = ref(group["Properties"]["KmsKeyId"])
    key = network["Resources"][key_id]
    assert key["Properties"]["EnableKeyRotation"] is True
    principals = [s.get("Principal") for s in key["Properties"]["KeyPolicy"]["Statement"]]
    assert any("logs." in str(p) for p in principals)


def test_load_balancer_url_output(dev_app):
    outputs = dev_app.template("DevApp")["Outputs"]
    url = outputs["LoadBalancerUrl"]["Value"]
    assert "http://" in str(url) and "DNSName" in str(url)
