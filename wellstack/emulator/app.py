"""The CDK app the sandbox deploys: ``wellstack.app.build`` plus the emulator's adjustments
(``cdk deploy --app "python -m wellstack.emulator.app"``), with cdk.json's context."""

from __future__ import annotations


def main() -> None:
    import aws_cdk as cdk

    from wellstack.app import build
    from wellstack.emulator.adapt import adapt

    app = cdk.App()
    adapt(build(app))
    app.synth()


if __name__ == "__main__":
    main()
