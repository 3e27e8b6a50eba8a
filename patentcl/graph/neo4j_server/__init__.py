"""A real Neo4j 5.26 server without Docker: resolved from Maven Central by `pom.xml` beside this
file, run by the server's own entry point over a folder of the project (default `.patentcl/neo4j`).

Layout of that folder (folders 0700; the password and env files 0600):

    lib/, plugins/  the server's jars and APOC + GDS, from Maven (`provisioned` holds the pom's hash)
    conf/neo4j.conf generated at every start: loopback ports, directories, memory
    data/, logs/, import/, run/
    password        generated on the first start, set before the database first starts
    env             PATENTCL_GRAPH, NEO4J_USERNAME, NEO4J_PASSWORD as KEY=value lines
    server.json     pid and ports of the running server

Bolt and HTTP (Neo4j Browser) listen on 127.0.0.1 only, on ports that were free when the server
first started (kept while they stay free). Memory comes from NEO4J_HEAP_INITIAL, NEO4J_HEAP_MAX,
NEO4J_PAGECACHE and NEO4J_TX_MEMORY_MAX, the names and defaults docker-compose.yml reads.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from patentcl.catalogue import Catalogue
from patentcl.errors import GraphUnavailableError
from patentcl.graph.processes import (
    PRIVATE_UMASK,
    command_line_has,
    folder_lock,
    free_loopback_port,
    make_private,
    pid_alive,
    port_free,
    private_dir,
    write_private,
)

POM = Path(__file__).with_name("pom.xml")
USER = "neo4j"
_ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
_ADMIN_TOOL = "org.neo4j.cli.AdminTool"
_DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies"
_START_TIMEOUT_S = 180.0
_STOP_TIMEOUT_S = 120.0
_SUPPORTED_JAVA = (17, 21)  # the Java versions Neo4j 5.26 supports
# Neo4j 5.26's default `server.jvm.additional`, which its own launcher would add.
_JVM_FLAGS = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
    "-Dlog4j2.disable.jmx=true",
)


@dataclass(frozen=True)
class Neo4jConnection:
    """What a client needs: the Bolt URI and the credentials (the password stays out of repr)."""

    uri: str
    browser: str
    password: str

    @property
    def user(self) -> str:
        return USER

    def __repr__(self) -> str:
        return f"Neo4jConnection(uri={self.uri!r}, browser={self.browser!r})"

    def env(self) -> dict[str, str]:
        return {"PATENTCL_GRAPH": self.uri, "NEO4J_USERNAME": USER, "NEO4J_PASSWORD": self.password}


@dataclass(frozen=True)
class Neo4jStatus:
    running: bool
    pid: int | None
    bolt: str | None
    browser: str | None
    home: str


class Neo4jServer:
    """Provisions (Maven), starts, stops and inspects the Neo4j server of one folder."""

    def __init__(self, home: Path | str, environ: Mapping[str, str] | None = None):
        self.home = Path(home).resolve()
        self._environ = os.environ if environ is None else environ

    # -- files ----------------------------------------------------------------------------
    @property
    def env_file(self) -> Path:
        return self.home / "env"

    @property
    def log_file(self) -> Path:
        return self.home / "logs" / "console.log"

    @property
    def _state_file(self) -> Path:
        return self.home / "server.json"

    def _classpath(self) -> str:
        # The launcher's order: plugins first, so GDS's extension factory is found on the classpath.
        return os.pathsep.join(str(self.home / d / "*") for d in ("plugins", "conf", "lib"))

    def _password(self) -> str:
        path = self.home / "password"
        if not path.exists():
            write_private(
                path, secrets.token_hex(20)
            )  # hex: never starts with "-", which neo4j-admin would read as an option
        return path.read_text().strip()

    def _running_state(self) -> dict[str, int] | None:
        try:
            state: dict[str, int] = json.loads(self._state_file.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        if pid_alive(state["pid"]) and command_line_has(state["pid"], _ENTRY_POINT.encode()):
            return state
        self._state_file.unlink(missing_ok=True)
        return None

    def _connection(self, state: dict[str, int]) -> Neo4jConnection:
        return Neo4jConnection(
            f"bolt://127.0.0.1:{state['bolt']}", f"http://127.0.0.1:{state['http']}/browser/", self._password()
        )

    # -- provisioning -------------------------------------------------------------------------
    @classmethod
    def missing_tools(cls, environ: Mapping[str, str] | None = None) -> str | None:
        """Why this machine cannot provision and run Neo4j (no Maven, no Java 17/21), or None."""
        if shutil.which("mvn") is None:
            return "Maven (`mvn`) is not on PATH"
        try:
            cls(Path.cwd(), environ)._java()
        except GraphUnavailableError as exc:
            return str(exc)
        return None

    def provisioned(self) -> bool:
        stamp = self.home / "provisioned"
        return stamp.exists() and stamp.read_text().strip() == _pom_hash()

    def provision(self) -> None:
        """Resolves the server, APOC and GDS from Maven Central into lib/ and plugins/ (once per
        version of the pom; Maven keeps its own cache in ~/.m2)."""
        if self.provisioned():
            return
        mvn = shutil.which("mvn")
        if mvn is None:
            raise GraphUnavailableError(
                "provisioning Neo4j needs Maven (`mvn` on PATH) and Java 17 or 21; or run Neo4j with docker-compose.yml"
            )
        self._java()
        private_dir(self.home)
        with tempfile.TemporaryDirectory(dir=self.home) as tmp:
            resolved = {profile: self._resolve(mvn, profile, Path(tmp) / profile) for profile in ("server", "plugins")}
            server_artifacts = {artifact for artifact, _ in resolved["server"]}
            for folder in ("lib", "plugins"):
                shutil.rmtree(self.home / folder, ignore_errors=True)
                (self.home / folder).mkdir()
            for _, jar in resolved["server"]:
                shutil.copy2(jar, self.home / "lib" / jar.name)
            for artifact, jar in resolved["plugins"]:
                if artifact not in server_artifacts:  # the server's own version of a library wins
                    shutil.copy2(jar, self.home / "plugins" / jar.name)
        write_private(self.home / "provisioned", _pom_hash() + "\n")

    def _resolve(self, mvn: str, profile: str, out: Path) -> list[tuple[str, Path]]:
        """(group/artifact, jar) of every runtime dependency of one profile of the pom."""
        command = [
            mvn,
            "-B",
            "-q",
            "-f",
            str(POM),
            "-P",
            profile,
            _DEPENDENCY_PLUGIN,
            "-DincludeScope=runtime",
            "-Dmdep.useRepositoryLayout=true",
            f"-DoutputDirectory={out}",
        ]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            errors = [
                line
                for line in (done.stdout + done.stderr).splitlines()
                if line.startswith("[ERROR]") and line[8:].strip()
            ]
            raise GraphUnavailableError(
                f"Maven could not resolve the Neo4j {profile} jars from {POM}: "
                + (errors[0][8:] if errors else f"exit code {done.returncode}")
            )
        # Repository layout: <group path>/<artifact>/<version>/<file>.jar
        return [(str(jar.parent.parent.relative_to(out)), jar) for jar in sorted(out.rglob("*.jar"))]

    def _java(self) -> str:
        java_home = self._environ.get("JAVA_HOME")
        java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
        if not java or not Path(java).exists():
            raise GraphUnavailableError("Neo4j needs Java 17 or 21: install a JDK or set JAVA_HOME")
        done = subprocess.run([java, "-version"], capture_output=True, text=True)
        match = re.search(r'version "(\d+)', done.stderr)
        major = int(match.group(1)) if match else 0
        if major not in _SUPPORTED_JAVA:
            raise GraphUnavailableError(
                f"Neo4j 5.26 runs on Java 17 or 21; {java} is Java {major or '?'}: set JAVA_HOME to a Java 17 or 21 JDK"
            )
        return java

    # -- life cycle -------------------------------------------------------------------------
    def status(self) -> Neo4jStatus:
        with folder_lock(self.home):
            state = self._running_state()
            connection = self._connection(state) if state else None
            return Neo4jStatus(
                state is not None,
                state["pid"] if state else None,
                connection.uri if connection else None,
                connection.browser if connection else None,
                str(self.home),
            )

    def start(self) -> Neo4jConnection:
        """Provisions on first use, starts the server unless it runs, waits until it answers,
        and writes the connection settings to `env`."""
        with folder_lock(self.home):
            state = self._running_state()
            if state is None:
                self.provision()
                state = self._spawn()
            connection = self._connection(state)
            self._wait_ready(connection, state["pid"])
            write_private(self.env_file, "".join(f"{k}={v}\n" for k, v in connection.env().items()))
            return connection

    def stop(self) -> bool:
        """Stops the server cleanly (SIGTERM: Neo4j checkpoints and closes its stores)."""
        with folder_lock(self.home):
            state = self._running_state()
            if state is None:
                return False
            os.kill(state["pid"], signal.SIGTERM)
            deadline = time.monotonic() + _STOP_TIMEOUT_S
            while pid_alive(state["pid"]):
                if time.monotonic() > deadline:
                    raise GraphUnavailableError(
                        f"Neo4j (pid {state['pid']}) did not stop within {_STOP_TIMEOUT_S:.0f} s; see {self.log_file}"
                    )
                time.sleep(0.1)
            self._state_file.unlink(missing_ok=True)
            return True

    def admin(self, arguments: Sequence[str]) -> subprocess.CompletedProcess[str]:
        """Runs `neo4j-admin ARGUMENTS` (e.g. `database import full ...`) on this server's folder,
        from the same jars; commands that write a database need the server stopped."""
        self.provision()
        self._write_conf(self._ports())
        return subprocess.run(
            [self._java(), "-cp", self._classpath(), _ADMIN_TOOL, *arguments],
            env=self._admin_env(),
            capture_output=True,
            text=True,
            umask=PRIVATE_UMASK,
        )

    # -- internals ----------------------------------------------------------------------------
    def _admin_env(self) -> dict[str, str]:
        return {**os.environ, "NEO4J_HOME": str(self.home), "NEO4J_CONF": str(self.home / "conf")}

    def _ports(self) -> dict[str, int]:
        """Last start's ports while they are free, else new free ones."""
        try:
            kept = json.loads((self.home / "ports.json").read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            kept = {}
        ports = {
            name: kept[name] if name in kept and port_free(kept[name]) else free_loopback_port()
            for name in ("bolt", "http")
        }
        write_private(self.home / "ports.json", json.dumps(ports))
        return ports

    def _heap(self) -> tuple[str, str]:
        """(maximum, initial) heap: docker-compose.yml's defaults, 2G growing from 1G; a maximum
        given without an initial size is also the initial one (the JVM refuses initial > max)."""
        initial = self._environ.get("NEO4J_HEAP_INITIAL")
        if maximum := self._environ.get("NEO4J_HEAP_MAX"):
            return maximum, initial or maximum
        return "2G", initial or "1G"

    def _write_conf(self, ports: dict[str, int]) -> None:
        folders = {name: private_dir(self.home / name) for name in ("conf", "data", "logs", "import", "run")}
        for name in ("data", "logs", "run"):  # what an earlier version left readable to others
            make_private(folders[name])
        get = self._environ.get
        heap_max, heap_initial = self._heap()
        settings = {
            "server.default_listen_address": "127.0.0.1",
            "server.bolt.listen_address": f"127.0.0.1:{ports['bolt']}",
            "server.bolt.advertised_address": f"127.0.0.1:{ports['bolt']}",
            "server.http.enabled": "true",  # Neo4j Browser, on loopback
            "server.http.listen_address": f"127.0.0.1:{ports['http']}",
            "server.http.advertised_address": f"127.0.0.1:{ports['http']}",
            "server.https.enabled": "false",
            "dbms.security.auth_enabled": "true",
            **{f"server.directories.{name}": str(path) for name, path in folders.items() if name != "conf"},
            "server.directories.plugins": str(self.home / "plugins"),
            "dbms.security.procedures.unrestricted": "apoc.*,gds.*",
            "dbms.security.procedures.allowlist": "apoc.*,gds.*",
            # A 2-core, 24 GB machine shares memory with the trainer and FalkorDB: the same
            # defaults as docker-compose.yml, raised through the same variables.
            "server.memory.heap.initial_size": heap_initial,
            "server.memory.heap.max_size": heap_max,
            "server.memory.pagecache.size": get("NEO4J_PAGECACHE") or "1G",
            "dbms.memory.transaction.total.max": get("NEO4J_TX_MEMORY_MAX") or "1G",
            "dbms.usage_report.enabled": "false",
        }
        write_private(folders["conf"] / "neo4j.conf", "".join(f"{k}={v}\n" for k, v in settings.items()))

    def _spawn(self) -> dict[str, int]:
        ports = self._ports()
        self._write_conf(ports)
        if not (self.home / "data" / "dbms").exists():  # before the first start, never over the wire
            done = self.admin(["dbms", "set-initial-password", self._password()])
            if done.returncode != 0:
                raise GraphUnavailableError(f"could not set Neo4j's initial password: {_first_line(done.stderr)}")
        heap, initial = self._heap()
        command = [
            self._java(),
            f"-Xms{initial}",
            f"-Xmx{heap}",
            *_JVM_FLAGS,
            "-cp",
            self._classpath(),
            _ENTRY_POINT,
            f"--home-dir={self.home}",
            f"--config-dir={self.home / 'conf'}",
            "--console-mode",
        ]
        with open(self.log_file, "ab") as log:
            os.chmod(self.log_file, 0o600)
            # A new session: Ctrl-C in the terminal that started it must not kill the server.
            child = subprocess.Popen(
                command,
                cwd=self.home,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=self._admin_env(),
                start_new_session=True,
                umask=PRIVATE_UMASK,
            )
        state = {"pid": child.pid, **ports}
        write_private(self._state_file, json.dumps(state))
        return state

    def _wait_ready(self, connection: Neo4jConnection, pid: int) -> None:
        from neo4j import GraphDatabase
        from neo4j.exceptions import AuthError, DriverError, Neo4jError, ServiceUnavailable

        ready = Catalogue().get("engine_version", dialect="neo4j")
        deadline = time.monotonic() + _START_TIMEOUT_S
        with GraphDatabase.driver(connection.uri, auth=(USER, connection.password)) as driver:
            while True:
                if not pid_alive(pid):
                    self._state_file.unlink(missing_ok=True)
                    raise GraphUnavailableError(f"Neo4j exited while starting; see {self.log_file}")
                try:
                    driver.verify_connectivity()
                    driver.execute_query(ready.text, database_="neo4j")  # the database is online too
                    return
                except AuthError:
                    raise GraphUnavailableError(
                        f"Neo4j in {self.home} refused the password in {self.home / 'password'}"
                    ) from None
                except (ServiceUnavailable, DriverError, Neo4jError, OSError):
                    pass  # still starting: no listener yet, or the database not yet online
                if time.monotonic() > deadline:
                    raise GraphUnavailableError(
                        f"Neo4j did not answer within {_START_TIMEOUT_S:.0f} s; see {self.log_file}"
                    )
                time.sleep(0.5)


def _first_line(stderr: str) -> str:
    """A Java tool's error without its stack trace."""
    lines = [line for line in stderr.splitlines() if line.strip() and not line.startswith(("\tat ", "\t..."))]
    return lines[0] if lines else "no message"


def _pom_hash() -> str:
    return hashlib.sha256(POM.read_bytes()).hexdigest()
