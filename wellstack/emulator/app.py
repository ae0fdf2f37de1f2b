"""The CDK app the sandbox deploys: ``wellstack.app.build`` plus the emulator's adjustments
(``cdk deploy --app "python -m wellstack.emulator.app"``), with cdk.json's context."""

from __future__ import annotations

from wellstack.app import build, new_app
from wellstack.emulator.adapt import adapt, emulator_settings
from wellstack.emulator.differences import SANDBOX_ZONE_KEY


def main() -> None:
    app = new_app()
    zone = app.node.try_get_context(SANDBOX_ZONE_KEY)
    adapt(build(app, adjust=lambda s: emulator_settings(s, hosted_zone_id=zone)))
    app.synth()


if __name__ == "__main__":
    main()
