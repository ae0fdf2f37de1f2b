"""moto's server on ``localhost:PORT`` (bound to 127.0.0.1 only), its pid and log in a state
folder of the project's."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from wellstack.deploy.target import Target, sandbox

DEFAULT_PORT = 4566
STATE_DIR = Path(".sandbox")


class EmulatorError(Exception):
    """The emulator could not be started or reached; the message says what to do."""


class Emulator:
    """moto's server on ``localhost:port``, pid and log in ``state_dir``."""

    def __init__(self, port: int = DEFAULT_PORT, state_dir: Path = STATE_DIR) -> None:
        self.port: int = port
        self.state_dir: Path = Path(state_dir)
        self.pid_file: Path = self.state_dir / "moto.pid"
        self.log_file: Path = self.state_dir / "moto.log"

    @property
    def endpoint(self) -> str:
        # "localhost", not 127.0.0.1: moto treats a template URL as path-style S3 only then.
        return f"http://localhost:{self.port}"

    def target(self, region: str) -> Target:
        return sandbox(self.port, region)

    def running_pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text())
            os.kill(pid, 0)
        except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
            return None
        return pid

    def responding(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=2):
                return True
        except OSError:
            return False

    def start(self, timeout: float = 60) -> bool:
        """Start the server unless it runs already; True when this call started it."""
        if self.running_pid() and self.responding():
            return False
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                raise EmulatorError(
                    f"port {self.port} is taken by another process (not this sandbox's "
                    f"emulator); set SANDBOX_PORT to a free port (or --port)"
                )
        with self.log_file.open("ab") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "wellstack.emulator.moto_server",
                    "-H",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid_file.write_text(str(process.pid))
        deadline = time.monotonic() + timeout
        while not self.responding():
            if process.poll() is not None or time.monotonic() > deadline:
                self.pid_file.unlink(missing_ok=True)
                raise EmulatorError(
                    f"moto's server did not start on port {self.port}; see {self.log_file}"
                )
            time.sleep(0.2)
        return True

    def require_running(self) -> None:
        """Fail with the next step when the emulator is not up."""
        if self.responding():
            return
        stale = self.pid_file.exists() and self.running_pid() is None
        if stale:
            self.pid_file.unlink(missing_ok=True)
        raise EmulatorError(
            f"the sandbox emulator is not running on port {self.port}"
            + (f" (it stopped; its log is {self.log_file})" if stale else "")
            + ": start it with `wellstack sandbox up` (make sandbox)"
        )

    def stop(self) -> bool:
        pid = self.running_pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        os.killpg(pid, signal.SIGTERM)
        for _ in range(50):
            try:
                # Reap it if this process started it (a zombie still answers kill(pid, 0)).
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    break
            except ChildProcessError:  # started by another process (`make sandbox` earlier)
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
            time.sleep(0.1)
        self.pid_file.unlink(missing_ok=True)
        return True
