"""The CDK app the sandbox deploys: ``wellstack.app.build`` plus the emulator's adjustments
(``cdk deploy --app "python -m wellstack.emulator.app"``), with cdk.json's context."""

from __future__ import annotations

from wellstack.app import build, new_app
from wellstack.emulator.adapt import adapt, emulator_settings


def main() -> None:
    app = new_app()
    adapt(build(app, adjust=emulator_settings))
    app.synth()


if __name__ == "__main__":
    main()
