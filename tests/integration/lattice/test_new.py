"""`wash new component` (C and JS templates), `wash build` with the real
toolchains (clang + wasi-libc + jco; componentize-js), then deploying the
project's own wadm.yaml, and `wash dev` redeploying on a source change."""
import os
import signal
import subprocess
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import free_port, http_get, wait_for, wash  # noqa: E402
from test_wadm import WadmTest  # noqa: E402


class NewTest(WadmTest):
    def run_wash(self, *args, cwd=None, timeout=300):
        r = subprocess.run([str(wash()), *args], capture_output=True, text=True,
                           timeout=timeout, cwd=cwd or self.workdir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout

    def project(self, name, template):
        self.run_wash("new", "component", name, "--template", template)
        port = free_port()
        yaml = self.workdir / name / "wadm.yaml"
        yaml.write_text(yaml.read_text().replace("127.0.0.1:8000", f"127.0.0.1:{port}"))
        return f"http://127.0.0.1:{port}"

    def test_c_and_js_projects_build_and_deploy(self):
        self.start_host()
        self.start_wadm()
        for name, template in (("hello-c", "c"), ("hello-js", "js")):
            with self.subTest(template=template):
                url = self.project(name, template)
                out = self.run_wash("build", name)
                self.assertIn(f"build/{name}.wasm", out)
                self.run_wash("app", "deploy", f"{name}/wadm.yaml", "--nats-url", self.nats.url)
                wait_for(lambda: http_get(url + "/a/b", allow_refused=True)[0] == 200,
                         timeout=60, what=f"{name} to answer")
                self.assertEqual(http_get(url + "/a/b"),
                                 (200, f"Hello from {name} (path /a/b)\n".encode()))
        r = subprocess.run([str(wash()), "new", "component", "Bad_Name"], capture_output=True,
                           text=True, cwd=self.workdir)
        self.assertEqual(r.returncode, 2)
        self.assertIn("lowercase", r.stderr)

    def test_dev_redeploys_on_change(self):
        self.start_host()
        self.start_wadm()
        url = self.project("devapp", "c")
        log = open(self.workdir / "dev.log", "w")
        dev = subprocess.Popen([str(wash()), "dev", "devapp", "--nats-url", self.nats.url],
                               cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: http_get(url + "/", allow_refused=True)[0] == 200, timeout=60,
                     what="the first deploy")
            src = self.workdir / "devapp" / "devapp.c"
            src.write_text(src.read_text().replace("Hello from", "Changed:"))
            wait_for(lambda: http_get(url + "/")[1].startswith(b"Changed:"), timeout=60,
                     what="the redeploy")
        finally:
            dev.send_signal(signal.SIGINT)
            dev.wait(30)
            log.close()


if __name__ == "__main__":
    unittest.main()
