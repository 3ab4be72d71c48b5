"""A real PostgreSQL server for the tests of distributed tuning, started by the test run itself
(a test module imports the fixture: `from postgres_server import postgres_url`).

Session-scoped: initdb and pg_ctl (as the postgres user when the tests run as root, since initdb
refuses root) on a temporary data directory (owned by that user, mode 0700), listening on a free
port of 127.0.0.1 (never 5432), its socket inside the data directory. Stopped and removed
afterwards, also when a test or the start itself fails.
"""

import glob
import os
import shutil
import socket
import subprocess
import tempfile

import pytest
from system_programs import require_system_program

# a throw-away server: no waiting for the disk at each commit
_SPEED = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


def _postgres_bin():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                   key=lambda d: [int(p) for p in d.split("/")[-2].split(".") if p.isdigit()])
    if found and os.path.exists(os.path.join(found[-1], "pg_ctl")):
        return found[-1]
    pg_ctl = shutil.which("pg_ctl")
    return os.path.dirname(pg_ctl) if pg_ctl else None


def _free_port():
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port != 5432:
            return port


def _as_postgres(args, data_dir):
    """Run a PostgreSQL program: through runuser as postgres when we are root."""
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=data_dir)
    if result.returncode:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}):\n"
                           f"{result.stdout}{result.stderr}")
    return result


@pytest.fixture(scope="session")
def postgres_url():
    """``postgresql+psycopg://postgres@127.0.0.1:PORT/chainrule`` of a fresh server."""
    pg_bin = _postgres_bin()
    require_system_program("PostgreSQL (initdb, pg_ctl)", pg_bin is not None)
    root = tempfile.mkdtemp(prefix="chainrule-pg-")
    data = os.path.join(root, "data")
    os.mkdir(data, 0o700)
    os.chmod(root, 0o755)  # the postgres user must reach its data directory
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    port = _free_port()
    pg_ctl = os.path.join(pg_bin, "pg_ctl")
    started = False
    try:
        _as_postgres([os.path.join(pg_bin, "initdb"), "-D", data, "-U", "postgres",
                      "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"], data)
        _as_postgres([pg_ctl, "-D", data, "-l", os.path.join(data, "server.log"), "-w", "-t",
                      "30", "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {data} {_SPEED}",
                      "start"], data)
        started = True
        _as_postgres([os.path.join(pg_bin, "createdb"), "-h", "127.0.0.1", "-p", str(port),
                      "-U", "postgres", "chainrule"], data)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/chainrule"
    finally:
        if started:
            _as_postgres([pg_ctl, "-D", data, "-m", "fast", "-w", "stop"], data)
        shutil.rmtree(root, ignore_errors=True)
