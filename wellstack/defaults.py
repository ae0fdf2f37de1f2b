"""Defaults the constructs and the command-line tools share (pure Python, no CDK import): the
app tier's health-check timing, which ``wellstack plan --fail-az`` turns into recovery times."""

from __future__ import annotations

#: The target group checks each instance's health path this often ...
HEALTH_CHECK_INTERVAL_SECONDS = 15
#: ... takes it out after this many failed checks ...
UNHEALTHY_THRESHOLD = 3
#: ... and sends it traffic after this many passed ones.
HEALTHY_THRESHOLD = 2
#: Auto Scaling ignores the load balancer's verdict on a new instance this long.
HEALTH_CHECK_GRACE_MINUTES = 5
#: How long a new instance has to signal that it serves (rolling updates, creation).
SIGNAL_TIMEOUT_MINUTES = 15
