"""The baseline of the synthesis benchmark: an empty one-stack CDK app (one placeholder
resource, since CloudFormation needs at least one), run through the same CLI and Python."""

import aws_cdk as cdk

app = cdk.App()
stack = cdk.Stack(app, "Empty", env=cdk.Environment(region="ap-northeast-2"))
cdk.CfnWaitConditionHandle(stack, "Placeholder")
app.synth()
