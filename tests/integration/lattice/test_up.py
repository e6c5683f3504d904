"""`wash up` / `wash down` and `wash app` driven as a user would, through
the real binary: up (detached), deploy, curl, status, undeploy, down; down
after nats-server was killed; up when the port is taken; --no-embed."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import free_port, guest, http_get, wait_for, wash  # noqa: E402
from test_wadm import manifest  # noqa: E402


class UpTest(unittest.TestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp(prefix="wash-up-"))
        self.env = {**os.environ, "WASH_STATE_DIR": str(self.dir / "state")}
        self.env.pop("WASH_NO_EMBED", None)
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.addCleanup(self.cleanup)

    def cleanup(self):
        self.wash("down", timeout=60)
        st = self.dir / "state" / "up.json"
        if st.exists():   # belt and braces: never leave processes behind
            for k, v in json.loads(st.read_text()).items():
                if k.endswith("pid") and v:
                    try:
                        os.kill(v, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def wash(self, *args, timeout=60):
        r = subprocess.run([str(wash()), *args], capture_output=True, text=True,
                           timeout=timeout, env=self.env)
        return r.returncode, r.stdout, r.stderr

    def state(self):
        return json.loads((self.dir / "state" / "up.json").read_text())

    def up(self, *extra):
        rc, out, err = self.wash("up", "--detached", "--nats-port", str(self.port), *extra)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("wasmCloud is up", out)
        return out

    def test_up_deploy_curl_status_undeploy_down(self):
        self.up()
        port = free_port()
        app = self.dir / "wadm.yaml"
        app.write_text(manifest(port=port))
        rc, out, err = self.wash("app", "deploy", str(app), "--nats-url", self.url)
        self.assertEqual(rc, 0, out + err)
        url = f"http://127.0.0.1:{port}/"
        wait_for(lambda: http_get(url, allow_refused=True)[0] == 200, timeout=30,
                 what="the app to answer")
        wait_for(lambda: self.wash("app", "status", "hello", "--nats-url",
                                   self.url)[1].strip() == "hello: deployed",
                 timeout=20, what="deployed")
        rc, out, err = self.wash("app", "undeploy", "hello", "--nats-url", self.url)
        self.assertEqual(rc, 0, out + err)
        wait_for(lambda: http_get(url, allow_refused=True)[0] is None, timeout=20,
                 what="the listener to close")
        pids = [v for k, v in self.state().items() if k.endswith("pid") and v]
        rc, out, err = self.wash("down")
        self.assertEqual((rc, out.strip()), (0, "Stopped"), err)
        for p in pids:
            wait_for(lambda: not os.path.exists(f"/proc/{p}") or
                     open(f"/proc/{p}/stat").read().split()[2] == "Z",
                     timeout=10, what=f"pid {p} gone")
        self.assertEqual(self.wash("down")[1].split()[0], "Nothing")

    def test_down_after_nats_was_killed(self):
        self.up()
        os.kill(self.state()["nats_pid"], signal.SIGKILL)
        t0 = time.time()
        rc, out, err = self.wash("down", timeout=60)
        self.assertEqual(rc, 0, out + err)
        self.assertLess(time.time() - t0, 30)
        self.assertFalse((self.dir / "state" / "up.json").exists())

    def test_up_when_the_port_is_taken(self):
        s = socket.socket()
        s.bind(("127.0.0.1", self.port))
        s.listen(1)
        try:
            rc, out, err = self.wash("up", "--detached", "--nats-port", str(self.port))
        finally:
            s.close()
        self.assertEqual(rc, 1)
        self.assertIn(f"port {self.port}", err)
        self.assertIn("--nats-url", err)

    def test_up_twice_and_no_embed(self):
        out = self.up("--no-embed")
        self.assertIn("separate processes", out)
        st = self.state()
        self.assertTrue(st["host_pid"] and st["wadm_pid"])
        rc, out, err = self.wash("up", "--detached", "--nats-port", str(self.port))
        self.assertEqual(rc, 1)
        self.assertIn("already running", err)
        # The separate host answers on the lattice.
        rc, out, err = self.wash("app", "list", "--nats-url", self.url)
        self.assertEqual(rc, 0, out + err)


if __name__ == "__main__":
    unittest.main()
