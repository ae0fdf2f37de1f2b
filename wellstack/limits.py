"""Every AWS limit wellstack checks a value against, and every default more than one module
needs, each with its source — defined here once: the cdk.json settings, the constructs and the
command-line tools all read them from this module (a test fails when a range or a shared
constant is written anywhere else). Pure Python, no CDK import.

A :class:`Range` carries its bounds, the few words an error message quotes ("Aurora's limit") and
where the limit comes from; :meth:`wellstack.validation.Problems.within` checks a value against
one.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The template Metadata key that marks the custom resource looking up CloudFront's VPC-origin
#: security group (set by the constructs, read by ``reach``).
VPC_ORIGIN_LOOKUP = "wellstack:cloudfront-vpc-origin-group"

#: CloudFormation and the AWS APIs take day counts and sizes as 32-bit signed integers.
INT32_MAX = 2**31 - 1


@dataclass(frozen=True)
class Range:
    """An inclusive range of integers (``high`` None: up to :data:`INT32_MAX`)."""

    low: int
    high: int | None
    #: What a message says of it, in parentheses: ``readers must be between 0 and 15 (Aurora's
    #: limit), got 16``.
    why: str
    #: Where the limit comes from: the AWS page, or wellstack's own reason.
    source: str

    def __contains__(self, value: object) -> bool:
        if isinstance(value, bool) or not isinstance(value, int):
            return False
        return self.low <= value <= (INT32_MAX if self.high is None else self.high)


# --- RDS / Aurora -------------------------------------------------------------------------------

#: One writer plus at most 15 Aurora Replicas per cluster.
AURORA_READERS = Range(
    0, 15, "Aurora's limit", "Aurora User Guide, Amazon Aurora DB clusters: up to 15 replicas"
)
#: Automated backups.
BACKUP_RETENTION_DAYS = Range(
    1, 35, "RDS's range", "RDS API Reference, CreateDBCluster BackupRetentionPeriod: 1 to 35 days"
)
#: The port of an Aurora cluster.
AURORA_PORT = Range(
    1150, 65535, "RDS's range for Aurora", "RDS API Reference, CreateDBCluster Port: 1150-65535"
)
#: Aurora MySQL Backtrack.
BACKTRACK_HOURS = Range(
    0, 72, "Aurora's limit", "Aurora User Guide, Backtracking: a window of up to 72 hours"
)
#: Enhanced monitoring intervals.
MONITORING_INTERVALS = (0, 1, 5, 10, 15, 30, 60)  # RDS API, MonitoringInterval valid values
#: Aurora Serverless v2 capacity, in ACUs (steps of 0.5).
SERVERLESS_MIN_ACU, SERVERLESS_MAX_ACU, ACU_STEP = 0.0, 256.0, 0.5
#: Secrets Manager's rotation interval (AutomaticallyAfterDays); 0 is wellstack's "never".
ROTATION_DAYS = Range(
    0, 1000, "Secrets Manager's range; 0: never", "Secrets Manager, RotationRules: 1-1000 days"
)
#: The standard port of each engine.
DEFAULT_PORTS: dict[str, int] = {"mysql": 3306, "postgresql": 5432}

# --- VPC ----------------------------------------------------------------------------------------

#: A VPC's IPv4 block and each subnet's: /16 to /28.
SUBNET_MASK = Range(
    16, 28, "AWS's subnet size limits", "VPC User Guide, IP addressing: /16 (65,536) to /28 (16)"
)
#: AZ slots each tier of the subnet plan reserves (regions have up to 6 AZs; most 3 or 4).
RESERVED_AZS = Range(2, 8, "AZ slots per tier", "wellstack: a regions' AZ count, room to grow")
DEFAULT_RESERVED_AZS = 4
#: A TCP port.
TCP_PORT = Range(1, 65535, "a TCP port", "RFC 793")

# --- EC2 Auto Scaling and the load balancer -----------------------------------------------------

#: A target-tracking CPU target, percent.
CPU_TARGET = Range(10, 90, "percent CPU", "wellstack: outside 10-90 the policy flaps or starves")
#: How long a new instance has to signal (UpdatePolicy PauseTime is at most PT1H).
SIGNAL_TIMEOUT = Range(
    1, 60, "PT1H at most", "CloudFormation, UpdatePolicy: the maximum PauseTime is one hour"
)
#: The root volume, GiB.
ROOT_VOLUME_GB = Range(
    8, 16384, "gp3; AL2023 needs 8 GiB", "EBS User Guide, gp3: 1 GiB-16 TiB; AL2023's image: 8 GiB"
)
#: Auto Scaling capacity.
MIN_CAPACITY = Range(0, None, "", "EC2 Auto Scaling: MinSize >= 0")
MAX_CAPACITY = Range(1, None, "", "EC2 Auto Scaling: MaxSize >= 1")
#: An Application Load Balancer's idle timeout, seconds.
ALB_IDLE_TIMEOUT_SECONDS = Range(
    1, 4000, "ALB's range", "Elastic Load Balancing, idle_timeout.timeout_seconds: 1-4000"
)
#: The target group checks each instance's health path this often ...
HEALTH_CHECK_INTERVAL_SECONDS = 15
#: ... takes it out after this many failed checks ...
UNHEALTHY_THRESHOLD = 3
#: ... and sends it traffic after this many passed ones.
HEALTHY_THRESHOLD = 2
#: Auto Scaling ignores the load balancer's verdict on a new instance this long.
HEALTH_CHECK_GRACE_MINUTES = 5
#: How long a new instance has to signal that it serves (rolling updates, creation), minutes.
SIGNAL_TIMEOUT_MINUTES = 15

# --- S3 and CloudWatch Logs ---------------------------------------------------------------------

#: An S3 bucket name (general purpose buckets): 3-63 lowercase letters, digits, dots and hyphens,
#: starting and ending with a letter or digit, not an IP address, and none of S3's reserved
#: prefixes and suffixes (S3 User Guide, General purpose bucket naming rules).
BUCKET_NAME = (
    r"(?!xn--|sthree-|amzn-s3-demo-)(?!.*-s3alias$)(?!\d+\.\d+\.\d+\.\d+$)"
    r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"
)
#: S3 Intelligent-Tiering's optional archive tiers, days without access.
ARCHIVE_ACCESS_DAYS = Range(
    90, 730, "S3 Intelligent-Tiering's range", "S3, IntelligentTieringConfiguration: 90-730 days"
)
DEEP_ARCHIVE_ACCESS_DAYS = Range(
    180, 730, "S3 Intelligent-Tiering's range", "S3, IntelligentTieringConfiguration: 180-730 days"
)
#: S3 Object Lock default retention, days.
OBJECT_LOCK_DAYS = Range(1, 36500, "S3's range", "S3 API, DefaultRetention Days: 1-36500")
#: CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

# --- shared defaults ----------------------------------------------------------------------------

#: The interface endpoints of ``nat="endpoints_only"`` unless ``interface_endpoints`` says
#: otherwise: what an AppTier needs without internet. SSM Session Manager (ssm, ssmmessages,
#: ec2messages), the boot's health signal (cloudformation), the database secret
#: (secretsmanager, kms), logs and metrics (logs, monitoring) and SDK role sessions (sts). nginx
#: comes from Amazon Linux 2023's repositories, S3 buckets reached through the S3 gateway
#: endpoint.
ENDPOINTS_ONLY_DEFAULT = (
    "ssm",
    "ssmmessages",
    "ec2messages",
    "cloudformation",
    "secretsmanager",
    "kms",
    "logs",
    "monitoring",
    "sts",
)
#: An email address, as SNS email subscriptions take it.
EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
EMAIL_MAX_LENGTH = 254
#: A DNS name of two or more labels, each 1-63 letters, digits or hyphens, not starting or ending
#: with a hyphen (Route 53 Developer Guide, "DNS domain name format": labels up to 63 characters,
#: the whole name up to 255).
DOMAIN_NAME = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))+\.?"
DOMAIN_MAX_LENGTH = 255
#: A Route 53 hosted zone id as the console and ``ListHostedZones`` show it, without
#: ``/hostedzone/`` (Route 53 API Reference, "HostedZone": Id, at most 32 characters; AWS's
#: start with ``Z``, which the API does not promise, and the emulator's do not).
HOSTED_ZONE_ID = r"[A-Z0-9]{1,32}"
#: The primary's Route 53 health check: every 30 s (the standard interval; 10 s is the fast
#: one, billed extra), unhealthy after 3 failures in a row (Route 53 API Reference,
#: "HealthCheckConfig": RequestInterval 10 or 30, FailureThreshold 1-10, default 3). Detection
#: takes about interval x threshold = 90 s.
FAILOVER_REQUEST_INTERVAL_SECONDS = 30
FAILOVER_FAILURE_THRESHOLD = 3
#: An alias record to an ALB answers with the load balancer's TTL, 60 s (Route 53 Developer
#: Guide, "Choosing between alias and non-alias records").
ALIAS_ALB_TTL_SECONDS = 60
