"""The embedded FalkorDB server's life cycle, durability and locking, against the real binary."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from helpers import patentcl_executable
from patentcl.config import Settings
from patentcl.graph import open_store
from patentcl.graph.embedded import WATCH_INTERVAL_S, EmbeddedServer


def _count_patents(settings: Settings) -> int:
    with open_store(settings) as store:
        return store.run_text("MATCH (p:Patent) RETURN count(p) AS n")[0]["n"]


def _add_patent(settings: Settings, patent_id: str) -> None:
    with open_store(settings) as store:
        store.run_text("MERGE (p:Patent {id: $id})", {"id": patent_id})


def _helper(code: str) -> subprocess.Popen[str]:
    """A separate patentcl process (what a user's second terminal would be)."""
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE, text=True)


def test_start_status_stop(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path / "graph")
    assert not server.status().running
    address = server.start(pinned=True)
    status = server.status()
    assert status.running and status.pinned and status.pid
    assert address.unix_socket and Path(address.unix_socket).exists()
    assert server.stop() is True
    assert not server.status().running
    assert server.stop() is False


def test_secrets_are_private_and_listener_is_local(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path / "graph")
    server.start(pinned=True)
    try:
        for name in ("password", "redis.conf"):
            mode = stat.S_IMODE((tmp_path / "graph" / name).stat().st_mode)
            assert mode == 0o600, f"{name} has mode {oct(mode)}"
        conf = (tmp_path / "graph" / "redis.conf").read_text()
        assert "port 0" in conf and "bind 127.0.0.1" in conf
        assert "bolt" not in conf.lower()
        cmdline = Path(f"/proc/{server.status().pid}/cmdline").read_bytes()
        assert server._password().encode() not in cmdline
    finally:
        server.stop()


def test_auto_started_server_stops_after_the_command(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    _add_patent(settings, "US1")
    assert not EmbeddedServer(settings.graph_dir).status().running
    assert _count_patents(settings) == 1  # and the data survived the stop


def test_pinned_server_stays_up_between_commands(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    server = EmbeddedServer(settings.graph_dir)
    pid = server.start(pinned=True) and server.status().pid
    try:
        _add_patent(settings, "US1")
        assert server.status().pid == pid
    finally:
        server.stop()


def test_data_survives_kill_9_of_patentcl_and_of_the_server(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    child = _helper(f"""
        import time
        from pathlib import Path
        from patentcl.config import Settings
        from patentcl.graph import open_store
        with open_store(Settings(home=Path({str(tmp_path)!r}))) as store:
            store.run_text("UNWIND range(1, 500) AS i MERGE (:Patent {{id: 'US' + toString(i)}})")
            print("written", flush=True)
            time.sleep(60)
    """)
    assert child.stdout.readline().strip() == "written"
    server = EmbeddedServer(settings.graph_dir)
    assert [user.pid for user in server.status().users] == [child.pid]
    child.send_signal(signal.SIGKILL)
    child.wait()

    _wait_until_stopped(server)  # by its watchdog: the dead process's lease is recognised as gone
    assert server.status().users == []
    assert _count_patents(settings) == 500  # the data survived
    assert not server.status().running

    server.start(pinned=True)
    time.sleep(1.5)  # appendfsync everysec
    pid = server.status().pid
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)  # our child: reap it, as the crashed server is gone
    try:
        assert _count_patents(settings) == 500  # stale pid file recovered, data replayed from the AOF
    finally:
        server.stop()


def _wait_until_stopped(server: EmbeddedServer) -> None:
    """Waits for the watchdog to stop the server (the deadline only ends a test that would hang)."""
    deadline = time.monotonic() + 120
    while server.status().running:
        assert time.monotonic() < deadline, "the server of a killed patentcl process still runs"
        time.sleep(0.2)


def test_a_pinned_server_outlives_a_killed_command_and_a_used_one_is_not_stopped(tmp_path: Path) -> None:
    """The watchdog stops only a server that is neither pinned nor used by a live process."""
    settings = Settings(home=tmp_path)
    server = EmbeddedServer(settings.graph_dir)
    holder = _helper(f"""
        import time
        from pathlib import Path
        from patentcl.config import Settings
        from patentcl.graph import open_store
        with open_store(Settings(home=Path({str(tmp_path)!r}))) as store:
            print("holding", flush=True)
            time.sleep(600)
    """)
    try:
        assert holder.stdout.readline().strip() == "holding"
        pid = server.status().pid
        _add_patent(settings, "US1")  # a second command came and went: the first still uses it
        time.sleep(3 * WATCH_INTERVAL_S)  # several watchdog rounds (no duration is asserted)
        assert server.status().pid == pid

        server.start(pinned=True)  # `graph start`: stays up even when its users are gone
        holder.kill()
        holder.wait()
        time.sleep(3 * WATCH_INTERVAL_S)
        status = server.status()
        assert status.pid == pid and status.users == []
    finally:
        holder.kill()
        holder.wait()
        server.stop()
    assert not server.status().running


def test_stale_pid_file_is_recovered(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path / "graph")
    server.start(pinned=True)
    server.stop()
    gone = subprocess.Popen(["true"])
    gone.wait()
    (tmp_path / "graph" / "server.json").write_text(json.dumps({"pid": gone.pid, "unix_socket": "x"}))
    server.start(pinned=True)
    try:
        status = server.status()
        assert status.running and status.pid != gone.pid
    finally:
        server.stop()


def test_two_processes_share_one_server(tmp_path: Path) -> None:
    code = f"""
        import json, time
        from pathlib import Path
        from patentcl.config import Settings
        from patentcl.graph import open_store
        home = Path({str(tmp_path)!r})
        with open_store(Settings(home=home)) as store:
            store.run_text("MERGE (:Patent {{id: 'shared'}})")
            print(json.loads((home / 'graph' / 'server.json').read_text())['pid'], flush=True)
            time.sleep(2)
    """
    first, second = _helper(code), _helper(code)
    pids = {first.stdout.readline().strip(), second.stdout.readline().strip()}
    assert first.wait() == 0 and second.wait() == 0
    assert len(pids) == 1, f"two servers were started on one data folder: {pids}"
    assert _count_patents(Settings(home=tmp_path)) == 1
    assert not EmbeddedServer(tmp_path / "graph").status().running


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="zombies are read from procfs")
def test_an_unreaped_exited_process_counts_as_stopped() -> None:
    """A server whose starting process has exited belongs to PID 1, which in containers often
    never reaps: once stopped it stays a zombie, and must not look alive to the next stop."""
    from patentcl.graph.processes import pid_alive

    parent = _helper("""
        import subprocess, sys, time
        child = subprocess.Popen(["true"])  # never waited for: a zombie once it exits
        print(child.pid, flush=True)
        time.sleep(30)
    """)
    try:
        zombie = int(parent.stdout.readline())
        deadline = time.monotonic() + 10
        while Path(f"/proc/{zombie}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert not pid_alive(zombie)
        assert pid_alive(parent.pid)
    finally:
        parent.kill()
        parent.wait()


def test_unique_constraint_holds_after_restart(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    _add_patent(settings, "US1")
    with open_store(settings) as store:
        from patentcl.errors import QueryError

        with pytest.raises(QueryError, match="(?i)unique|constraint"):
            store.run_text("CREATE (:Patent {id: 'US1'})")
        assert store.migrate() == []


def test_stop_compacts_the_append_only_file(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    with open_store(settings) as store:
        store.run_text("UNWIND range(1, 3000) AS i MERGE (:Patent {id: 'US' + toString(i)})")
    aof = settings.graph_dir / "appendonlydir"
    replayed = sum(p.stat().st_size for p in aof.glob("*.incr.aof"))
    assert replayed < 1024, f"{replayed} bytes of writes would be replayed at the next start"
    assert _count_patents(settings) == 3000


def _patentcl(home: Path, *args: str, **popen: object) -> subprocess.Popen[str]:
    env = {**os.environ, "PATENTCL_HOME": str(home), "COLUMNS": "200"}
    env.pop("PATENTCL_GRAPH", None)
    return subprocess.Popen(
        [patentcl_executable(), *args], env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen
    )  # type: ignore[call-overload]


def _write_csv(path: Path, patents: int) -> None:
    with open(path, "w") as f:
        f.write("publication_number,title,abstract,cpc_codes\n")
        f.writelines(f'US{i}B2,title {i},abstract {i},"[""G06N3/08""]"\n' for i in range(1, patents + 1))


def test_graph_stop_refuses_while_a_load_runs_and_force_stops_it_for_resume(tmp_path: Path) -> None:
    home, data = tmp_path / "home", tmp_path / "patents.csv"
    _write_csv(data, 300_000)  # long enough to be still loading when it is stopped
    load = _patentcl(home, "load", "csv", str(data), "--rows-per-write", "500")
    server = EmbeddedServer(home / "graph")
    try:
        deadline = time.monotonic() + 300  # only ends a test that would hang
        while not (list((home / "checkpoints").glob("*.json")) if (home / "checkpoints").exists() else []):
            assert load.poll() is None and time.monotonic() < deadline, load.communicate()
            time.sleep(0.05)
        status = _patentcl(home, "graph", "status")
        out, _ = status.communicate()
        assert f"used by pid {load.pid} (" in out and "load csv" in out

        refused = _patentcl(home, "graph", "stop")
        out, err = refused.communicate()
        assert refused.returncode == 2, out + err
        assert f"pid {load.pid} (" in err and f"load csv {data}" in err and "--force" in err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
        assert load.poll() is None, "the refused stop left the load running"

        forced = _patentcl(home, "graph", "stop", "--force")
        assert forced.communicate()[0].strip() == "stopped"
        _, err = load.communicate()
        assert load.returncode == 2, "the load was stopped before it finished"
        last = err.strip().splitlines()[-1]
        assert last.startswith("error: lost the connection to FalkorDB") and "--resume" in last, err
        assert "Traceback" not in err
    finally:
        load.kill()
        load.wait()
    resumed = _patentcl(home, "load", "csv", str(data), "--rows-per-write", "500", "--resume", "--json")
    out, err = resumed.communicate()
    assert resumed.returncode == 0, err
    assert json.loads(out.splitlines()[-1])["resumed"] is True
    settings = Settings(home=home)
    assert _count_patents(settings) == 300_000
    assert not server.status().running  # the resumed load's server stopped with it
