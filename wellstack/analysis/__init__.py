"""The command-line tools' analyses of a synthesized app (review, cost, reach, diff, the data
guard, the AWS-constraints rules): pure Python over the templates, no CDK import."""
