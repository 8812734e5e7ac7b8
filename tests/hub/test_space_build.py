"""The evaluate module's Space builds: a fresh virtual environment, the package from a locally built wheel.

Offline, as the Space would do it: ``metacompress evaluate-module --out`` from the installed wheel,
``pip install --no-index -r requirements.txt`` (every requirement resolves without metacompress-eval),
then ``python app.py`` with metacompress-eval made unimportable (the Space does not have it),
driven through its HTTP API. Also: the wheel's start-up ``.pth`` makes ``evaluate.load("metacompress")``
work in that environment, without evaluate's "couldn't be found" notice.

Slow (about a minute: building the wheel, starting gradio); run with ``python -m pytest -m slow``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from metacompress_eval.hub import module
from tests.hub.conftest import read_report

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_EVALUATE_OFFLINE": "1",
           "HF_HUB_DISABLE_TELEMETRY": "1", "GRADIO_ANALYTICS_ENABLED": "False", "PIP_NO_INDEX": "1",
           "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def run(args, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)
    assert proc.returncode == 0, f"{args}: {(proc.stdout + proc.stderr)[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a copy of the checkout (setuptools builds in place; the checkout stays clean,
    and no build/ left over from an earlier build can slip files into the wheel)."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "src"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", "build", "dist", "*.egg-info", "__pycache__", "test-artifacts", ".venv*", "metacompress-demo"))
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(root), str(source)])
    return next(root.glob("metacompress_eval-*.whl"))


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> dict:
    """A fresh virtual environment (the machine's packages visible, as a Space's image has them) with the wheel."""
    root = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(root / "env")])
    python = root / "env" / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "--ignore-installed", str(wheel)])
    work = root / "work"
    work.mkdir()
    env = {**os.environ, **OFFLINE, "HF_HOME": str(root / "hf"), "HF_MODULES_CACHE": str(root / "modules")}
    env.pop("PYTHONPATH", None)
    return {"python": python, "work": work, "env": env}


def test_wheel_ships_the_startup_pth_and_templates(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "metacompress_eval_evaluate.pth" in names
    assert "metacompress_eval/hub/evaluate_module/metacompress/metacompress.py" in names
    assert "metacompress_eval/hub/evaluate_module/metacompress/metacompress_core.py" in names
    for template in ("fidelity_section.md", "attack_section.md", "model_card.md", "badge.svg", "dataset_card.md"):
        assert f"metacompress_eval/hub/cards/{template}" in names


def test_space_folder_builds_and_serves_offline(venv, report_dir):
    python, work, env = venv["python"], venv["work"], venv["env"]
    where = run([str(python), "-c", "import metacompress_eval; print(metacompress_eval.__file__)"], cwd=work, env=env)
    assert str(python.parent.parent) in where.stdout  # the wheel's copy, not the checkout
    run([str(python), "-m", "metacompress_eval", "evaluate-module", "--out", "metacompress"], cwd=work, env=env)
    space = work / "metacompress"
    # Every requirement resolves from what a package index serves (here: offline, already installed).
    pip = run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-index", "-r",
               str(space / "requirements.txt")], env=env)
    assert "metacompress-eval" not in pip.stdout.lower() and "metacompress_eval" not in pip.stdout.lower()

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # The Space has no metacompress-eval: block the import, then run app.py as the Space runtime does.
    launcher = ("import sys, runpy; sys.modules['metacompress_eval'] = None; "
                "runpy.run_path('app.py', run_name='__main__')")
    app_env = {**env, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
               "METACOMPRESS_NO_EVALUATE_REGISTER": "1"}
    server = subprocess.Popen([str(python), "-c", launcher], cwd=space, env=app_env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        from gradio_client import Client

        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 180
        client = None
        while client is None:
            assert server.poll() is None, server.stdout.read()[-3000:]
            assert time.monotonic() < deadline, "the Space's app did not start"
            try:
                client = Client(url, verbose=False)
            except Exception:  # noqa: BLE001 - not listening yet
                time.sleep(1)
        args = module.read_predictions(report_dir)
        result = client.predict(json.dumps(args), api_name="/compute")
        assert result == read_report(report_dir)["analysis"]
        lines = (report_dir / "predictions.jsonl").read_text()
        from_jsonl = client.predict(lines, api_name="/compute")
        assert from_jsonl["counts"] == result["counts"]
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_load_by_name_in_the_wheel_environment_is_quiet(venv, report_dir):
    """The wheel's .pth registers the module; two loads from elsewhere print no "couldn't be found" notice."""
    python, work, env = venv["python"], venv["work"], venv["env"]
    script = ("import json, evaluate\n"
              "from metacompress_eval.hub.module import read_predictions\n"
              "m = evaluate.load('metacompress')\n"
              f"print(json.dumps(m.compute(**read_predictions({str(report_dir)!r}))))\n")
    for _ in range(2):
        proc = run([str(python), "-c", script], cwd=work, env=env)
        assert "couldn't be found" not in proc.stderr and "latest cached version" not in proc.stderr, proc.stderr
        assert json.loads(proc.stdout.strip().splitlines()[-1]) == read_report(report_dir)["analysis"]
