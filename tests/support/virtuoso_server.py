"""A real Virtuoso 7 server for tests (Debian's `virtuoso-opensource` package): a fresh database in a
temporary folder, HTTP and SQL ports on 127.0.0.1 only, a user with the SPARQL_UPDATE role.

Tests that use it are skipped when `virtuoso-t` is not installed (`apt-get install
virtuoso-opensource`); .ci/run does not install it.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from support.oxigraph_server import HOST, free_port

# Only what differs from Virtuoso's defaults; every path is relative to the database folder.
INI_TEMPLATE = """\
[Database]
DatabaseFile = virtuoso.db
ErrorLogFile = virtuoso.log
LockFile = virtuoso.lck
TransactionFile = virtuoso.trx
xa_persistent_file = virtuoso.pxa
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = virtuoso-temp.db
TransactionFile = virtuoso-temp.trx
[Parameters]
ServerPort = {host}:{sql_port}
DisableUnixSocket = 1
DirsAllowed = .
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
[HTTPServer]
ServerPort = {host}:{http_port}
ServerRoot = {server_root}
ServerThreads = 10
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = 10000
MaxQueryExecutionTime = 60
"""

DBA_PASSWORD = "dba"  # a new Virtuoso database starts with dba/dba; it listens on loopback only


def virtuoso_binaries() -> tuple[str, str] | None:
    server, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt") or shutil.which("isql")
    return (server, isql) if server and isql else None


class VirtuosoServer:
    def __init__(self, folder: Path, user: str, password: str):
        binaries = virtuoso_binaries()
        if binaries is None:
            raise RuntimeError("virtuoso-t and isql-vt are not installed")
        self.server_binary, self.isql_binary = binaries
        self.folder = Path(folder)
        self.user, self.password = user, password
        self.http_port, self.sql_port = free_port(), free_port()
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.http_port}"

    def start(self) -> VirtuosoServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        server_root = Path("/var/lib/virtuoso-opensource-7/vsp")
        (self.folder / "virtuoso.ini").write_text(
            INI_TEMPLATE.format(
                host=HOST,
                sql_port=self.sql_port,
                http_port=self.http_port,
                server_root=server_root if server_root.is_dir() else self.folder,
            )
        )
        self.process = subprocess.Popen(
            [self.server_binary, "+foreground", "+configfile", "virtuoso.ini"],
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 180  # a new database takes a while to create
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.folder / "virtuoso.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"virtuoso-t exited with code {self.process.returncode}: {log}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/sparql?query=ASK%7B%7D", timeout=5):
                    break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.5)
        else:
            self.stop()
            raise RuntimeError("Virtuoso did not answer within 180 s")
        self.sql(
            f"DB.DBA.USER_CREATE('{self.user}', '{self.password}'); GRANT SPARQL_UPDATE TO \"{self.user}\";"
        )
        return self

    def sql(self, statements: str) -> str:
        completed = subprocess.run(
            [self.isql_binary, f"{HOST}:{self.sql_port}", "dba", DBA_PASSWORD, f"exec={statements}"],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return completed.stdout

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> VirtuosoServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
