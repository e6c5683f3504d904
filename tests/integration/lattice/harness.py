"""Helpers for the lattice integration tests: a real nats-server, our host
(`wash host`), control-interface requests, polling and HTTP helpers, and a
unittest base class that wires them together and cleans up.

Standard library only (Python 3.11, Debian 12), like natsc.py, so the tests
run wherever `python3` and the `nats-server` package are installed.

Environment:
    BUILD        build directory (default: <repo>/build); wash is BUILD/bin/wash,
                 test guests are BUILD/tests/guests/NAME.wasm
    NATS_SERVER  nats-server binary (default: from PATH, /usr/sbin, /usr/bin)
    KEEP_WORKDIR 1 keeps every test's temp directory, "fail" only failed ones
"""

from __future__ import annotations

import http.client
import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)            # for `import natsc`
from natsc import Nats, NatsError, NoResponders, Sub  # noqa: F401  (re-exported)

REPO = Path(__file__).resolve().parents[3]


# ---- paths ------------------------------------------------------------------

def find_build() -> Path:
    """The build directory: $BUILD, else the repo root's build/."""
    return Path(os.environ.get("BUILD") or REPO / "build").resolve()


def wash() -> Path:
    return find_build() / "bin" / "wash"


def guest(name: str) -> Path:
    return find_build() / "tests" / "guests" / f"{name}.wasm"


def nats_server_bin() -> str:
    env = os.environ.get("NATS_SERVER")
    if env:
        return env
    found = shutil.which("nats-server")
    if found:
        return found
    for p in ("/usr/sbin/nats-server", "/usr/bin/nats-server"):
        if os.access(p, os.X_OK):
            return p
    raise unittest.SkipTest("nats-server not found (set NATS_SERVER)")


# ---- small utilities ----------------------------------------------------------

def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout: float = 10, interval: float = 0.05, what: str = "condition"):
    """Poll pred() until it returns something truthy (which is returned).

    Exceptions from pred count as "not yet"; the last one is reported if the
    wait times out with AssertionError.
    """
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            value = pred()
            if value:
                return value
        except Exception as e:
            last_exc = e
        if time.monotonic() >= deadline:
            extra = f" (last error: {last_exc!r})" if last_exc else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {what}{extra}")
        time.sleep(interval)


def http_request(method: str, url: str, body: bytes | None = None, timeout: float = 5,
                 headers: dict | None = None, allow_refused: bool = False):
    """Do one HTTP request -> (status, body bytes), for any status code.

    With allow_refused, a refused connection gives (None, b"") instead of
    raising ConnectionRefusedError.
    """
    u = urllib.parse.urlsplit(url)
    cls = {"http": http.client.HTTPConnection, "https": http.client.HTTPSConnection}.get(u.scheme)
    if cls is None:
        raise ValueError(f"unsupported url {url!r}")
    path = u.path or "/"
    if u.query:
        path += "?" + u.query
    conn = cls(u.hostname, u.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    except ConnectionRefusedError:
        if allow_refused:
            return None, b""
        raise
    finally:
        conn.close()


def http_get(url: str, timeout: float = 5, headers: dict | None = None,
             allow_refused: bool = False):
    return http_request("GET", url, None, timeout, headers, allow_refused)


def tail(path, n: int = 40) -> str:
    try:
        text = Path(path).read_text(errors="replace")
    except OSError as e:
        return f"<cannot read {path}: {e}>"
    return "\n".join(text.splitlines()[-n:])


def _terminate(proc: subprocess.Popen, grace: float) -> None:
    """SIGTERM, wait up to `grace` seconds, then SIGKILL."""
    if proc.poll() is not None:
        return
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


# ---- control interface --------------------------------------------------------

def ctl(nc: Nats, lattice: str, suffix: str, body=b"", timeout: float = 5) -> dict:
    """Request wasmbus.ctl.v1.{lattice}.{suffix}; returns the decoded reply
    envelope {"success": bool, "message": str, "response": ...}."""
    return nc.request(f"wasmbus.ctl.v1.{lattice}.{suffix}", body, timeout).json()


# ---- nats-server ----------------------------------------------------------------

class NatsServer:
    """A nats-server with JetStream on 127.0.0.1, logging to WORKDIR/nats.log.

    The port is chosen once and kept across restart(), as is the store dir.
    """

    def __init__(self, workdir, port: int | None = None):
        self.workdir = Path(workdir)
        self.port = port or free_port()
        self.store = self.workdir / "js"
        self.log_path = self.workdir / "nats.log"
        self.bin = nats_server_bin()
        self.proc: subprocess.Popen | None = None
        self._fixed_port = port is not None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout: float = 15) -> "NatsServer":
        for attempt in range(3):
            try:
                self._start_once(timeout)
                return self
            except RuntimeError as e:
                # A first start may lose the free_port() race; pick another.
                if ("address already in use" in str(e) and not self._fixed_port
                        and self.proc is not None and attempt < 2):
                    self.port = free_port()
                    continue
                raise
        return self

    def _start_once(self, timeout: float) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        log.write(f"==== starting nats-server on port {self.port}\n".encode())
        log.flush()
        cmd = [self.bin, "-a", "127.0.0.1", "-p", str(self.port),
               "-js", "-sd", str(self.store)]
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT)
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nats-server exited ({self.proc.returncode}):\n"
                                   + tail(self.log_path))
            if self._jetstream_ready():
                return
            if time.monotonic() >= deadline:
                self.kill()
                raise RuntimeError(f"nats-server not ready within {timeout}s:\n"
                                   + tail(self.log_path))
            time.sleep(0.05)

    def _jetstream_ready(self) -> bool:
        try:
            with Nats(self.url, timeout=1) as nc:
                info = nc.request("$JS.API.INFO", b"", timeout=1).json()
                return "error" not in info
        except (OSError, NatsError, TimeoutError, ValueError):
            return False

    def stop(self) -> None:
        if self.proc is not None:
            _terminate(self.proc, 5)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def restart(self, timeout: float = 15) -> "NatsServer":
        self.stop()
        self._fixed_port = True      # clients expect the same URL
        return self.start(timeout)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        return Path(self.log_path).read_text(errors="replace")


# ---- our host -----------------------------------------------------------------------

class Host:
    """One `wash host` process attached to a lattice.

    Use start(nc): it subscribes to the host_started event *before* spawning
    the process (no race), waits for it and sets .id to the event's source
    (the host's public key).
    """

    _counter = itertools.count(1)

    def __init__(self, wash, nats_url: str, lattice: str = "default",
                 env: dict | None = None, args=(), workdir=None, name: str | None = None):
        self.wash = str(wash)
        self.nats_url = nats_url
        self.lattice = lattice
        self.args = [str(a) for a in args]
        self.workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="host-"))
        self.name = name or f"host-{next(Host._counter)}"
        self.log_path = self.workdir / f"{self.name}.log"
        # Do not leak the caller's WASMCLOUD_* settings into the host.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("WASMCLOUD_")}
        self.env["WASMCLOUD_LATTICE"] = lattice
        self.env.update({k: str(v) for k, v in (env or {}).items()})
        self.proc: subprocess.Popen | None = None
        self.id: str | None = None
        self.started_event: dict | None = None
        self._started_sub = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def returncode(self) -> int | None:
        return self.proc.poll() if self.proc else None

    def command(self) -> list[str]:
        return [self.wash, "host", "--nats-url", self.nats_url, *self.args]

    def spawn(self) -> None:
        """Start the process only (no waiting)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT,
                                         env=self.env, cwd=self.workdir)

    def start(self, nc: Nats, timeout: float = 20, wait: bool = True) -> "Host":
        """Subscribe to host_started, spawn, and (if wait) wait for the event."""
        self._started_sub = nc.subscribe(f"wasmbus.evt.{self.lattice}.host_started")
        nc.flush()                      # the SUB is registered before we spawn
        self.spawn()
        if wait:
            self.wait_started(nc, timeout)
        return self

    def wait_started(self, nc: Nats | None = None, timeout: float = 20) -> str:
        """Wait for host_started; returns (and sets) .id.  Raises RuntimeError
        with the log if the process exits first.  Without a prior start() the
        subscription is made now, which can miss an early event."""
        if self._started_sub is None:
            if nc is None:
                raise ValueError("wait_started needs nc when start() was not used")
            self._started_sub = nc.subscribe(f"wasmbus.evt.{self.lattice}.host_started")
        sub = self._started_sub
        deadline = time.monotonic() + timeout
        try:
            while True:
                if self.proc is not None and self.proc.poll() is not None:
                    raise RuntimeError(
                        f"{self.name} exited with {self.proc.returncode} before "
                        f"host_started:\n{self.log()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"{self.name}: no host_started within "
                                       f"{timeout}s:\n{self.log()}")
                try:
                    msg = sub.next(min(0.2, left))
                except TimeoutError:
                    continue
                ev = msg.json()
                self.started_event = ev
                self.id = ev.get("source")
                return self.id
        finally:
            sub.unsubscribe()
            self._started_sub = None

    def stop(self, grace: float = 15) -> None:
        if self.proc is not None:
            _terminate(self.proc, grace)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


# ---- unittest base ---------------------------------------------------------------

class LatticeTest(unittest.TestCase):
    """Per test: a temp dir, a nats-server (self.nats) and a connection (self.nc).

    Hosts started with self.start_host(...) are stopped afterwards; on failure
    the last 40 lines of every host log and of nats.log go to stderr.
    """

    lattice = "default"

    def setUp(self):
        self.workdir = Path(tempfile.mkdtemp(prefix="lattice-test-"))
        self.hosts: list[Host] = []
        self.nc: Nats | None = None
        self.nats: NatsServer | None = None
        self.addCleanup(self._lattice_cleanup)   # runs even if setUp fails below
        self.nats = NatsServer(self.workdir).start()
        self.nc = Nats(self.nats.url)

    def start_host(self, nc: Nats | None = None, timeout: float = 20, **kw) -> Host:
        kw.setdefault("wash", wash())
        kw.setdefault("lattice", self.lattice)
        kw.setdefault("workdir", self.workdir)
        host = Host(nats_url=self.nats.url, **kw)
        self.hosts.append(host)          # before start, so cleanup sees it
        return host.start(nc or self.nc, timeout)

    def ctl(self, suffix: str, body=b"", timeout: float = 5, lattice: str | None = None) -> dict:
        return ctl(self.nc, lattice or self.lattice, suffix, body, timeout)

    def ok(self, suffix: str, body=b"") -> dict:
        """A control request that must succeed; its reply."""
        r = self.ctl(suffix, body)
        self.assertTrue(r["success"], f"{suffix}: {r}")
        return r

    def events(self, name: str = "*") -> Sub:
        """Subscribe to events of one type (a whole subject token), or all."""
        sub = self.nc.subscribe(f"wasmbus.evt.{self.lattice}.{name}")
        self.nc.flush()
        return sub

    def wait_event(self, sub: Sub, name: str, pred=lambda d: True, timeout: float = 30) -> dict:
        """The first event of type name on sub whose data satisfies pred."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                m = sub.next(timeout=max(0.1, end - time.monotonic()))
            except TimeoutError:
                break
            ev = m.json()
            if ev["type"] == f"com.wasmcloud.lattice.{name}" and pred(ev["data"]):
                return ev
        self.fail(f"no {name} event within {timeout}s")

    def _failed(self) -> bool:
        """Has this test (or its setUp/subtests) failed so far?  Python 3.11
        resets _outcome.success inside cleanups, so look at the result's
        error lists instead; if they are unavailable, assume failure (logs)."""
        result = getattr(getattr(self, "_outcome", None), "result", None)
        errors = getattr(result, "errors", None)
        failures = getattr(result, "failures", None)
        if not isinstance(errors, list) or not isinstance(failures, list):
            return True
        return any(getattr(t, "test_case", t) is self for t, _ in errors + failures)

    def _lattice_cleanup(self):
        failed = self._failed()
        for h in self.hosts:
            try:
                h.stop()
            except Exception as e:
                print(f"stopping {h.name}: {e!r}", file=sys.stderr)
        if self.nc is not None:
            self.nc.close()
        if self.nats is not None:
            self.nats.stop()
        if failed:
            for h in self.hosts:
                print(f"\n---- {h.name} (pid {h.pid}, rc {h.returncode}) "
                      f"{h.log_path} ----\n{tail(h.log_path)}", file=sys.stderr)
            if self.nats is not None:
                print(f"\n---- nats-server {self.nats.log_path} ----\n"
                      f"{tail(self.nats.log_path)}", file=sys.stderr)
        if os.environ.get("KEEP_WORKDIR") == "1" or (failed and os.environ.get("KEEP_WORKDIR") == "fail"):
            print(f"kept workdir {self.workdir}", file=sys.stderr)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)
