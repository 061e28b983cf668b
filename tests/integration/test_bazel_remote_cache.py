"""nnbuild's Bazel rules are hermetic: a second clean clone, elsewhere, with its own Bazel
output root, takes every action from a remote cache (nginx serving Bazel's HTTP cache
protocol over WebDAV, started here), nnbuild's quantize, code generation and verification
as well as the C compilation and linking, and the size report."""

import json
import os
import shutil
import socket
import subprocess
import time

import pytest

from conftest import copy_project, shared_file

pytestmark = pytest.mark.slow

TARGETS = ["//:embed_app", "//:af_detection_firmware"]
NGINX = """daemon off;
user root;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            root {root}/cache;
            dav_methods PUT;
            create_full_put_path on;
            client_max_body_size 1g;
        }}
    }}
}}
"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def remote_cache(tmp_path):
    """http://127.0.0.1:PORT: a Bazel HTTP cache, nginx's WebDAV PUT and GET on a folder."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        pytest.skip("nginx is not installed (Debian package nginx-light, ./install.sh)")
    root = tmp_path / "nginx"
    os.makedirs(root / "cache")
    port = _free_port()
    (root / "nginx.conf").write_text(NGINX.format(root=root, port=port))
    server = subprocess.Popen([nginx, "-p", str(root), "-c", str(root / "nginx.conf")])
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}", root / "cache"
    server.terminate()
    server.wait(timeout=30)


def _build(repo, output_root, cache, log):
    """bazel build of embed_app and the verified firmware; the spawns it ran, from its execution log."""
    app = os.path.join(repo, "tests", "embed_app")
    bazel = ["bazel", f"--output_user_root={output_root}", "--max_idle_secs=60"]
    try:
        proc = subprocess.run([*bazel, "build", f"--remote_cache={cache}", f"--execution_log_json_file={log}",
                               *TARGETS], cwd=app, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-4000:]
    finally:
        subprocess.run([*bazel, "shutdown"], cwd=app, capture_output=True)
    decoder, text, spawns = json.JSONDecoder(), open(log).read(), []
    position = 0
    while text[position:].strip():  # the log is a stream of JSON objects
        spawn, position = decoder.raw_decode(text, text.index("{", position))
        spawns.append(spawn)
    return spawns


def test_a_second_clone_takes_every_action_from_the_remote_cache(tmp_path, remote_cache):
    if shutil.which("bazel") is None:
        pytest.skip("bazel is not installed (Debian package bazel-bootstrap)")
    shared_file("af_detection", "ecg_calib.npz")  # tests/embed_app/WORKSPACE's @shared
    url, folder = remote_cache
    first = copy_project(str(tmp_path / "clone1"))
    second = copy_project(str(tmp_path / "somewhere" / "else" / "clone2"))

    cold = _build(first, tmp_path / "bazel1", url, tmp_path / "first.json")
    mnemonics = sorted({s["mnemonic"] for s in cold})
    for mnemonic in ("NNBuildQuantize", "NNBuildAot", "NNBuildRunner", "NNBuildLink", "NNBuildSize", "NNBuildVerify",
                     "CppCompile", "CppLink"):
        assert mnemonic in mnemonics, mnemonics
    assert not any(s.get("remoteCacheHit") for s in cold)
    assert len(os.listdir(folder / "ac")) >= len(cold)  # every result uploaded

    warm = _build(second, tmp_path / "bazel2", url, tmp_path / "second.json")
    assert sorted(s["mnemonic"] for s in warm) == sorted(s["mnemonic"] for s in cold)
    misses = [(s["mnemonic"], s.get("progressMessage")) for s in warm if not s.get("remoteCacheHit")]
    assert misses == []
