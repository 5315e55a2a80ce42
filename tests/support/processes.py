"""Starcard's processes as real subprocesses of a test: started, watched, and always stopped.

``running("starcard_loyalty", env)`` starts ``python -m starcard_loyalty`` with its output in a
temporary file, yields the ``Popen``, and on leaving the block stops it (SIGTERM, then SIGKILL if
it will not stop). Its log is printed (pytest shows it under the failed test) when the block
raises, when the process exited by itself with an error, or when it ignored SIGTERM; a test that
SIGKILLs the process on purpose is not a failure. Only the process started here is ever signalled.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from starcard_runtime.settings import RuntimeSettings

STOP_TIMEOUT_SECONDS = 20.0
LOG_TAIL_CHARS = 20_000

# Exit statuses that mean "stopped as asked": cleanly, by SIGTERM before the service installed its
# handler, or by a SIGKILL the test sent on purpose.
EXPECTED_EXITS = frozenset({0, -signal.SIGTERM, -signal.SIGKILL})


def free_port() -> int:
    """A TCP port on localhost that nothing listens on (as of now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def process_env(settings: RuntimeSettings, **overrides: str) -> dict[str, str]:
    """The environment of a Starcard process for ``settings`` (servers, topics, batch size)."""
    return {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "STARCARD_TOPIC_PREFIX": settings.topic_prefix,
        "STARCARD_BATCH_MAX_RECORDS": str(settings.batch_max_records),
        "STARCARD_LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
        **overrides,
    }


class LoggedProcess(subprocess.Popen[bytes]):
    """A ``Popen`` whose stdout and stderr go to ``log_path``."""

    def __init__(self, module: str, env: Mapping[str, str], log_path: str) -> None:
        self.module = module
        self.log_path = log_path
        with open(log_path, "ab") as log:
            super().__init__(
                [sys.executable, "-m", module],
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def log(self) -> str:
        """What the process has written so far, the tail if it is long."""
        return Path(self.log_path).read_text(errors="replace")[-LOG_TAIL_CHARS:]

    def assert_alive(self) -> None:
        """Fail, with the process's log, if it has exited."""
        if self.poll() is not None:
            msg = f"python -m {self.module} exited with {self.returncode}:\n{self.log()}"
            raise AssertionError(msg)


def _print_log(process: LoggedProcess, why: str) -> None:
    banner = f"----- python -m {process.module} (pid {process.pid}): {why} -----"
    print(f"{banner}\n{process.log()}\n{'-' * len(banner)}", file=sys.stderr)  # noqa: T201


def _stop(process: LoggedProcess) -> str | None:
    """Stop the process if it still runs; say what went wrong, if anything did."""
    if process.poll() is not None:
        return None if process.returncode in EXPECTED_EXITS else "exited with an error"
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return f"did not stop within {STOP_TIMEOUT_SECONDS:.0f} s of SIGTERM"
    return None if process.returncode in EXPECTED_EXITS else "failed while stopping"


@contextmanager
def running(module: str, env: Mapping[str, str]) -> Iterator[LoggedProcess]:
    """``python -m module`` in ``env`` for the duration of the block; always stopped after it."""
    with tempfile.NamedTemporaryFile(prefix=f"{module}-", suffix=".log", delete=False) as log:
        log_path = log.name
    try:
        process = LoggedProcess(module, env, log_path)
    except BaseException:
        Path(log_path).unlink(missing_ok=True)
        raise
    problem: str | None = None
    try:
        yield process
    except BaseException:
        problem = _stop(process) or "the test failed"
        _print_log(process, problem)
        raise
    else:
        problem = _stop(process)
        if problem is not None:
            _print_log(process, problem)
            msg = f"python -m {module} {problem} (exit status {process.returncode})"
            raise AssertionError(msg)
    finally:
        if process.poll() is None:  # only if stopping itself was interrupted
            process.kill()
            process.wait()
        Path(log_path).unlink(missing_ok=True)
