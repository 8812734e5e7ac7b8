"""Fixtures of the Space tests: the app served on 127.0.0.1 with tiny local models, and reports."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

pytest.importorskip("gradio", reason="the Space tests need gradio (pip install -e '.[test]')")
pytest.importorskip("gradio_client", reason="the Space tests need gradio_client (pip install -e '.[test]')")

from ..conftest import C_SNIPPETS, write_jsonl  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def space_settings(tmp_path_factory, tiny_models):
    from metacompress_eval.space import SpaceSettings

    root = tmp_path_factory.mktemp("space")
    return SpaceSettings(default_teacher=str(tiny_models["teacher"]), default_student=str(tiny_models["student"]),
                         models_dir=root / "models", work_dir=root / "work", output_cache_dir=str(root / "cache"),
                         demo_size="tiny", max_snippet_chars=20_000, max_run_rows=12,
                         results_root=tmp_path_factory.getbasetemp())  # the reports of the session's fixtures


@pytest.fixture(scope="session")
def space_server(space_settings):
    """The app launched on a random free port; yields its URL."""
    from metacompress_eval.space import build_app, launch_kwargs

    space_settings.work_dir.mkdir(parents=True, exist_ok=True)
    demo = build_app(space_settings)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                **launch_kwargs())
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


@pytest.fixture(scope="session")
def client(space_server):
    from gradio_client import Client

    return Client(space_server, verbose=False)


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory) -> Path:
    rows = [{"id": f"f{i}", "code": s, "label": i % 2} for i, s in enumerate(C_SNIPPETS * 2)]
    return write_jsonl(tmp_path_factory.mktemp("data") / "data.jsonl", rows)


@pytest.fixture(scope="session")
def two_reports(tmp_path_factory, tiny_models, small_dataset) -> list[Path]:
    """Two report folders made by the real pipeline: the tiny student, and the teacher against itself."""
    from metacompress_eval.pipeline import EvaluationConfig, run_evaluation
    from metacompress_eval.relations import Thresholds

    root = tmp_path_factory.mktemp("reports")
    out = []
    for name, student in (("student", tiny_models["student"]), ("self", tiny_models["teacher"])):
        config = EvaluationConfig(teacher=str(tiny_models["teacher"]), student=str(student), data=str(small_dataset),
                                  out_dir=str(root / name), cache_dir=str(root / "cache"), progress=False,
                                  thresholds=Thresholds(bootstrap_resamples=200))
        run_evaluation(config)
        out.append(root / name / "report.json")
    return out


@pytest.fixture(scope="session")
def other_data_report(tmp_path_factory, tiny_models) -> Path:
    """A report of the tiny student on other data (the first four snippets only): another data group."""
    from metacompress_eval.pipeline import EvaluationConfig, run_evaluation
    from metacompress_eval.relations import Thresholds

    root = tmp_path_factory.mktemp("other")
    rows = [{"id": f"g{i}", "code": s, "label": i % 2} for i, s in enumerate(C_SNIPPETS[:4])]
    data = write_jsonl(root / "small.jsonl", rows)
    config = EvaluationConfig(teacher=str(tiny_models["teacher"]), student=str(tiny_models["student"]), data=str(data),
                              out_dir=str(root / "run"), cache_dir=str(root / "cache"), progress=False,
                              thresholds=Thresholds(bootstrap_resamples=200))
    run_evaluation(config)
    return root / "run" / "report.json"
