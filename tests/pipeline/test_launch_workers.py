"""Follow-up workers under multi-process launches (issue 17): the default shares the machine's CPUs
among the launch's local processes, an explicit ``--workers`` is per process, and each process of the
streamed pipeline makes only its shard of the chunks.

No real launch: the launchers' environment variables are set, and two "processes" of a launch are two
threads whose accelerate calls (state, gather) are exchanged between them.
"""

from __future__ import annotations

import threading
from types import SimpleNamespace

import numpy as np
import pytest

from metacompress_eval import follow_ups
from metacompress_eval.data import SourceInput
from metacompress_eval.follow_ups import default_workers, resolve_workers, workers_note
from metacompress_eval.launch import local_processes

from ..conftest import C_SNIPPETS

LAUNCH_VARIABLES = ("WORLD_SIZE", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MPI_LOCALRANKID", "MPI_LOCALNRANKS",
                    "OMPI_COMM_WORLD_LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_SIZE", "MV2_COMM_WORLD_LOCAL_RANK",
                    "MV2_COMM_WORLD_LOCAL_SIZE")


@pytest.fixture
def launch(monkeypatch):
    """Set a launch's variables (``launch(WORLD_SIZE=8, ...)``) on a machine of ``cpus`` usable CPUs."""
    for name in LAUNCH_VARIABLES:
        monkeypatch.delenv(name, raising=False)

    def set_launch(cpus: int, **variables):
        monkeypatch.setattr(follow_ups, "usable_cpus", lambda: cpus)
        for name in LAUNCH_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        for name, value in variables.items():
            monkeypatch.setenv(name, str(value))

    return set_launch


@pytest.mark.parametrize("cpus", [1, 2, 3, 7, 16, 64])
@pytest.mark.parametrize("local", [1, 2, 3, 4, 8, 100])
def test_default_shares_the_cpus_among_local_processes(launch, cpus, local):
    """Over the local processes of a launch (any CPU count, any process count, more nodes than one), the
    defaults add up to the usable CPUs (one each when there are more processes than CPUs), and no two
    differ by more than one."""
    shares = []
    for rank in range(local):
        launch(cpus, WORLD_SIZE=local * 2, LOCAL_WORLD_SIZE=local, LOCAL_RANK=rank)
        assert local_processes() == (rank, local)
        shares.append(resolve_workers(0))
        assert resolve_workers(None) == shares[-1] == default_workers()
    assert min(shares) >= 1 and max(shares) - min(shares) <= 1
    assert sum(shares) == max(cpus, local)


def test_plain_run_takes_every_cpu(launch):
    launch(16)
    assert resolve_workers(0) == 16
    launch(16, WORLD_SIZE=1, LOCAL_WORLD_SIZE=4)  # a one-process "launch" (or stale variables)
    assert resolve_workers(0) == 16


@pytest.mark.parametrize("size_var,rank_var", [("MPI_LOCALNRANKS", "MPI_LOCALRANKID"),
                                               ("OMPI_COMM_WORLD_LOCAL_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK"),
                                               ("MV2_COMM_WORLD_LOCAL_SIZE", "MV2_COMM_WORLD_LOCAL_RANK")])
def test_mpi_launchers_local_counts(launch, size_var, rank_var):
    launch(16, WORLD_SIZE=8, **{size_var: 4, rank_var: 3})
    assert local_processes() == (3, 4) and resolve_workers(0) == 4


def test_launch_without_a_local_count_counts_every_process_local(launch):
    """Rather share too finely than start WORLD_SIZE times too many workers."""
    launch(16, WORLD_SIZE=4)
    assert resolve_workers(0) == 4
    launch(16, WORLD_SIZE=4, LOCAL_WORLD_SIZE="not a number", LOCAL_RANK="")
    assert local_processes() == (0, 4)


def test_explicit_workers_are_per_process(launch):
    launch(16, WORLD_SIZE=4, LOCAL_WORLD_SIZE=4, LOCAL_RANK=1)
    assert resolve_workers(1) == 1  # in-process, as without a launch
    assert resolve_workers(6) == 6
    assert resolve_workers(40) == 16 and workers_note(40) == "--workers 40 is more than the 16 usable CPU(s); using 16"
    assert workers_note(0) is None and workers_note(6) is None


def test_pipeline_records_the_process_share(launch, monkeypatch, tiny_models, c_dataset, tmp_path):
    """evaluate's default under a launch's variables: report.json records this process's share."""
    from metacompress_eval import inference, pipeline

    launch(8, WORLD_SIZE=4, LOCAL_WORLD_SIZE=4, LOCAL_RANK=0)
    # the collective calls of a real launch are not wanted here: one process stands for its launch
    monkeypatch.setattr(pipeline, "distributed_state", lambda device="cpu": None)
    monkeypatch.setattr(inference, "distributed_state", lambda device="cpu": None)
    config = pipeline.EvaluationConfig(teacher=str(tiny_models["teacher"]), student=str(tiny_models["student"]),
                                       data=str(c_dataset), out_dir=str(tmp_path / "out"), progress=False,
                                       cache_dir=str(tmp_path / "cache"), transforms=("rename_variables",),
                                       verify=False)
    assert pipeline.run_evaluation(config).report["inference"]["follow_up_workers"] == 2


class _ThreadLaunch:
    """``size`` processes of a launch played by threads: each thread's ``distributed_state`` has its rank,
    and ``gather_object`` hands every thread the payloads of all, in rank order, as accelerate's does."""

    def __init__(self, size: int):
        self.size = size
        self.barrier = threading.Barrier(size, timeout=120)
        self.slots: list = [None] * size
        self.local = threading.local()

    def state(self, device: str = "cpu"):
        rank = self.local.rank
        return SimpleNamespace(process_index=rank, num_processes=self.size, is_main_process=rank == 0,
                               local_process_index=rank, wait_for_everyone=self.barrier.wait)

    def gather_object(self, obj: list) -> list:
        self.slots[self.local.rank] = obj
        self.barrier.wait()
        gathered = [item for slot in self.slots for item in slot]
        self.barrier.wait()  # nobody overwrites a slot before every thread has read them all
        return gathered


def test_each_process_makes_only_its_shard(monkeypatch, tiny_models):
    """The streamed pipeline under a launch of 2 processes: each makes the follow-ups of its chunks only
    (chunk c in process c mod 2), and both end with the rows, counts and outputs of a single process."""
    import accelerate.utils

    from metacompress_eval import inference
    from metacompress_eval.model_outputs import run_models_streamed
    from metacompress_eval.models import load_model

    models = {"teacher": load_model(str(tiny_models["teacher"])), "student": load_model(str(tiny_models["student"]))}
    sources = [SourceInput(f"s{i}", (C_SNIPPETS[i % len(C_SNIPPETS)],)) for i in range(11)]
    names = ["rename_variables", "dead_code", "reindent"]
    made: list[tuple[int, int]] = []  # (rank, chunk index) of every chunk made
    real_run_chunk = follow_ups.run_chunk
    size = 2
    fake = _ThreadLaunch(size)

    def run_chunk(job):
        made.append((getattr(fake.local, "rank", -1), job.index))
        return real_run_chunk(job)

    monkeypatch.setattr(follow_ups, "run_chunk", run_chunk)
    single = run_models_streamed(models, sources, "c", names, None, workers=1, chunk_sources=3)
    assert sorted(made) == [(-1, c) for c in range(4)]
    made.clear()

    monkeypatch.setattr(inference, "distributed_state", fake.state)
    monkeypatch.setattr(accelerate.utils, "gather_object", fake.gather_object)
    results: dict[int, object] = {}
    errors: list[BaseException] = []

    def process(rank: int) -> None:
        fake.local.rank = rank
        try:
            results[rank] = run_models_streamed(models, sources, "c", names, None, workers=1, chunk_sources=3)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(exc)
            fake.barrier.abort()

    threads = [threading.Thread(target=process, args=(rank,)) for rank in range(size)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sorted(made) == sorted((c % size, c) for c in range(4))  # each chunk made once, by its process
    for result in results.values():
        assert result.rows.follow_ups == single.rows.follow_ups
        assert result.follow_ups.summary() == single.follow_ups.summary()
        for role in models:
            np.testing.assert_allclose(result.probs[role], single.probs[role], atol=1e-6)
            assert result.stats[role].requested == single.stats[role].requested


@pytest.mark.parametrize("variables", [{"WORLD_SIZE": "2"}, {"WORLD_SIZE": "3", "RANK": "0"}])
def test_world_size_without_a_launcher_is_an_environment_error(variables, tmp_path):
    """``WORLD_SIZE`` set by hand, without the launcher's ``MASTER_ADDR``: accelerate's ValueError becomes the
    environment's fault in one line (it was an internal error, "this is a bug")."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = ("from metacompress_eval.errors import MetaCompressError\n"
            "from metacompress_eval.inference import distributed_state\n"
            "try:\n    distributed_state('cpu')\nexcept MetaCompressError as exc:\n    print(exc)\n")
    env = {k: v for k, v in os.environ.items() if k not in ("MASTER_ADDR", "MASTER_PORT", *LAUNCH_VARIABLES)}
    env.update(variables, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "WORLD_SIZE" in run.stdout and "MASTER_ADDR" in run.stdout and len(run.stdout.splitlines()) == 1


@pytest.mark.parametrize("size_var", ["WORLD_SIZE", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE"])
def test_mpi_launches_without_world_size_are_launches(launch, size_var):
    """``mpirun`` (and ``accelerate launch --mpirun_hostfile``) set no WORLD_SIZE: the launch is still seen, as
    accelerate's PartialState (the sharding) sees it, and its CPUs are shared among the local processes."""
    from accelerate.utils.environment import get_cpu_distributed_information

    from metacompress_eval.launch import world_size

    launch(8, **{size_var: 4, "OMPI_COMM_WORLD_LOCAL_SIZE": 2, "OMPI_COMM_WORLD_LOCAL_RANK": 1})
    assert world_size() == get_cpu_distributed_information().world_size == 4
    assert local_processes() == (1, 2) and default_workers() == 4
