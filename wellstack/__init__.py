"""wellstack: AWS CDK constructs and stacks for a well-architected three-tier web architecture."""

__version__ = "0.1.0"
