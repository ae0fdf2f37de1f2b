"""The local sandbox: moto's AWS API emulator on loopback, the emulator build of the default app,
and its lifecycle (up, down, stop) with the real CDK CLI. Needs the ``sandbox`` extra."""
