"""What both server launchers (embedded FalkorDB, Maven-resolved Neo4j) need of processes and
files: liveness of a pid, a free loopback port, private files, and a lock over a folder."""

from __future__ import annotations

import fcntl
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def pid_alive(pid: int) -> bool:
    try:  # reap it first if it is our own exited child, or it would look alive as a zombie
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """An exited process whose parent has not reaped it. A server started by a patentcl that has
    since exited is re-parented to PID 1, and in containers PID 1 often never reaps: the stopped
    server would look alive forever."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False  # no procfs (macOS) or already gone
    return stat[stat.rfind(")") + 2 :][:1] in ("Z", "X")


def command_line_has(pid: int, marker: bytes) -> bool:
    """Guards against a recycled pid: on Linux, the process's command line holds `marker`;
    without procfs, a live pid is taken as ours."""
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.parent.exists():
        return pid_alive(pid)
    try:
        return marker in cmdline.read_bytes()
    except OSError:
        return False


def start_ticks(pid: int) -> int | None:
    """When a process started (clock ticks since boot), where the OS tells (Linux /proc), else
    None: with the pid, it names one process even after the pid is recycled."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def cpu_seconds(pid: int | None) -> float | None:
    """utime + stime a process has used so far, where the OS tells (Linux /proc), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_memory_mb(pid: int | None) -> float | None:
    """The most resident memory a process has held so far (VmHWM), where the OS tells (Linux /proc), else None."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def folder_size_mb(folder: Path) -> float:
    """What the files under `folder` take on disk."""
    return sum(p.lstat().st_blocks * 512 for p in folder.rglob("*") if p.is_file() and not p.is_symlink()) / 2**20


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_free(port: int) -> bool:
    """Nothing listens on loopback `port`. Connections a stopped server left in TIME_WAIT do not
    count: servers bind with SO_REUSEADDR (Neo4j's does), so a restart gets its ports back."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def write_private(path: Path, text: str) -> None:
    """Writes a file only its owner can read (it may hold a password)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


# For the servers patentcl starts: what they create (data, logs, sockets) is the user's alone.
PRIVATE_UMASK = 0o077


def make_private(folder: Path) -> None:
    """Folders 0700 and files 0600 throughout `folder`, for what an earlier version or a server
    run without PRIVATE_UMASK left readable to others (sockets and links are left as they are)."""
    private_dir(folder)
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            path = Path(root, name)
            if not path.is_symlink():
                os.chmod(path, 0o700)
        for name in files:
            path = Path(root, name)
            if path.is_file() and not path.is_symlink():
                os.chmod(path, 0o600)


@contextmanager
def folder_lock(folder: Path, name: str = "server.lock") -> Iterator[None]:
    """Held while starting or stopping a server, so two processes never start two servers."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    with os.fdopen(os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
