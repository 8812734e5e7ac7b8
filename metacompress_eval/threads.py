"""How many CPU threads torch should use, here and now, and training that does not depend on it.

torch starts one intra-op thread per core it sees, which is wrong twice over on shared machines: a
process pinned to fewer CPUs (``taskset``, a container's cpuset) or limited by a cgroup CPU quota
still sees every core, and a machine already busy with other processes gets more threads than it has
cores. Oversubscribed OpenMP threads wait for each other at every barrier while descheduled: on two
cores shared by five processes of two threads each, a demo training batch went from 0.1 s to 1.3 s,
several times worse than the fair share. So the default here is

    threads = min(CPUs this process may use, CPUs not busy with other processes), at least 1

where *may use* is the smaller of the affinity mask (``os.sched_getaffinity``) and the cgroup CPU quota
(cgroup v2 ``cpu.max`` or v1 ``cpu.cfs_quota_us``/``cpu.cfs_period_us``, the tightest along the
process's cgroup path), and *busy* counts the other processes' runnable threads (``/proc/loadavg``,
a few samples, minus this process's own running threads). ``--threads N`` overrides it; in the
automatic mode :func:`refresh_threads` re-chooses at natural boundaries (a training epoch), so a run
follows the machine as other jobs start and stop.

Changing the thread count must not change results. torch's CPU kernels are thread-count invariant
for everything a small RoBERTa classifier runs except two: the fused LayerNorm backward (it sums the
weight and bias gradients in per-thread partial buffers) and dropout inside the attention kernel.
:func:`make_thread_invariant` replaces both for training. Forward passes are invariant except for
matrix products of 5–11 rows (torch 2.13's CPU GEMM splits such small row counts across threads in a
way that changes the summation order): a classifier head over a batch of 5–11 inputs differs in its last
bits between 1 and 2 threads. :func:`one_thread_for_small_batches` runs such batches on one thread. With it, the same seed gives bit-identical weights and outputs with 1, 2, 3 or 4 threads on
one machine (``tests/test_threads.py`` checks 1 and 2). Other architectures may use other
thread-dependent kernels (ConvBERT's pointwise convolutions do), so check before relying on it.
Different CPUs (another vector width, another MKL code path) can still differ in the last bits.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import statistics
import sys
import time
from pathlib import Path

__all__ = [
    "affinity_cpus",
    "cgroup_cpu_limit",
    "available_cpus",
    "other_busy_cpus",
    "choose_threads",
    "configure_threads",
    "refresh_threads",
    "parse_threads",
    "add_threads_argument",
    "make_thread_invariant",
]

AUTO = "auto"  # available CPUs not busy with other processes; re-chosen by refresh_threads
CPUS = "cpus"  # available CPUs (affinity, quota), ignoring load: fixed for a machine
_requested: int | str | None = None  # what configure_threads was last asked for (None: never called)


def affinity_cpus() -> int:
    """CPUs in this process's affinity mask (all CPUs where the platform has no affinity call)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _cgroup_dirs(root: Path, proc_cgroup: Path) -> list[Path]:
    """This process's CPU cgroup folders with their ancestors (cgroup v2 and v1 hierarchies)."""
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        return []
    dirs: list[Path] = []
    for line in lines:
        parts = line.split(":", 2)  # "hierarchy-id:controllers:path"; v2 has empty controllers
        if len(parts) != 3:
            continue
        controllers = parts[1].split(",") if parts[1] else []
        if controllers and "cpu" not in controllers:
            continue
        # v1 mounts each controller set on its own folder ("cpu,cpuacct", often linked from "cpu").
        base = root / parts[1] if controllers and (root / parts[1]).is_dir() else (root / "cpu" if controllers else root)
        rel = Path(parts[2].lstrip("/"))
        while True:
            dirs.append(base / rel)
            if rel == rel.parent:
                break
            rel = rel.parent
    return dirs


def cgroup_cpu_limit(root: str | Path = "/sys/fs/cgroup", proc_cgroup: str | Path = "/proc/self/cgroup") -> float | None:
    """The tightest CPU quota on this process's cgroup path, in CPUs (e.g. 1.5), or ``None`` when unlimited."""
    limits: list[float] = []
    for d in _cgroup_dirs(Path(root), Path(proc_cgroup)):
        try:
            quota, period = (d / "cpu.max").read_text().split()[:2]  # cgroup v2: "max 100000" or "150000 100000"
            if quota != "max" and int(period) > 0:
                limits.append(int(quota) / int(period))
            continue
        except (OSError, ValueError):
            pass
        try:  # cgroup v1
            quota_us = int((d / "cpu.cfs_quota_us").read_text())
            period_us = int((d / "cpu.cfs_period_us").read_text())
            if quota_us > 0 and period_us > 0:
                limits.append(quota_us / period_us)
        except (OSError, ValueError):
            pass
    return min(limits) if limits else None


def available_cpus() -> int:
    """CPUs this process may use: the affinity mask, capped by the cgroup quota (rounded up)."""
    cpus = affinity_cpus()
    quota = cgroup_cpu_limit()
    if quota is not None:
        cpus = min(cpus, max(1, math.ceil(quota - 1e-9)))
    return cpus


def _own_running_threads() -> int:
    running = 0
    try:
        tasks = list(Path("/proc/self/task").iterdir())
    except OSError:
        return 1
    for task in tasks:
        try:
            # "pid (comm) S ...": the state follows the last ')' (comm may itself hold parentheses).
            if (task / "stat").read_text().rsplit(")", 1)[1].split()[0] == "R":
                running += 1
        except (OSError, IndexError):
            continue
    return max(1, running)


def other_busy_cpus(samples: int = 5, interval: float = 0.02) -> int:
    """Runnable threads of *other* processes right now (median of a few samples; 0 where unknown).

    The fourth field of ``/proc/loadavg`` counts runnable threads machine-wide, this one included;
    unlike the load averages it has no minute-long lag, so a job started a second ago counts.
    """
    counts = []
    for k in range(max(1, samples)):
        try:
            running = int(Path("/proc/loadavg").read_text().split()[3].split("/")[0])
        except (OSError, ValueError, IndexError):
            return 0
        counts.append(max(0, running - _own_running_threads()))
        if k + 1 < samples:
            time.sleep(interval)
    return int(statistics.median_low(counts))


def choose_threads(requested: int | str | None = None) -> int:
    """Intra-op threads to use: ``requested`` when it is a number, ``"cpus"``: :func:`available_cpus`,
    ``"auto"`` or ``None``: the available CPUs that other processes are not busy with (module docstring)."""
    cpus = available_cpus()
    if requested == CPUS:
        return cpus
    if requested not in (None, AUTO):
        n = int(requested)
        if n < 1:
            raise ValueError("the number of threads must be at least 1")
        return n
    # Load is machine-wide: compare it with the machine's CPUs, so that a container with a quota on a
    # big busy host still uses its quota.
    idle = (os.cpu_count() or cpus) - other_busy_cpus()
    return max(1, min(cpus, idle))


def configure_threads(requested: int | str | None = None) -> int:
    """Set torch's intra-op threads (:func:`choose_threads`) and remember the request for :func:`refresh_threads`."""
    import torch

    global _requested
    _requested = AUTO if requested is None else requested
    n = choose_threads(_requested)
    torch.set_num_threads(n)
    return n


def refresh_threads() -> int:
    """Re-choose the thread count when it is automatic (a no-op for a fixed ``--threads N``)."""
    import torch

    if _requested == AUTO:
        n = choose_threads(AUTO)
        if n != torch.get_num_threads():
            torch.set_num_threads(n)
    return torch.get_num_threads()


# Far above any CPU count torch supports well; larger values fail late and obscurely (each thread
# reserves a stack, and the process runs out of address space while importing its libraries).
MAX_THREADS = 1024


def parse_threads(text: str) -> int | str:
    """``"auto"``, ``"cpus"`` or a positive integer (the ``--threads`` argument type)."""
    if str(text).strip().lower() in (AUTO, CPUS):
        return str(text).strip().lower()
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= MAX_THREADS:
        import argparse

        raise argparse.ArgumentTypeError(
            f"expected 'auto', 'cpus' or an integer from 1 to {MAX_THREADS}, got {text!r}")
    return n


def add_threads_argument(parser, default: str = AUTO) -> None:
    """Add ``--threads {auto,cpus,N}`` to an argparse parser (apply it with :func:`configure_threads`).

    Use ``default="cpus"`` for commands whose results depend on the thread count (training without
    :func:`make_thread_invariant`): the choice then depends on the machine, never on its load.
    """
    parser.add_argument("--threads", type=parse_threads, default=default, metavar="N",
                        help="torch CPU threads: a number, 'cpus' (the CPUs this process may use: affinity mask, "
                             "cgroup quota) or 'auto' (those CPUs less the ones other processes keep busy; the demo's "
                             f"training checks again every epoch) (default: {default})")


# Forward passes over fewer inputs than this run on one thread (module docstring): every GEMM then has
# at least 12 rows (a row per input, or per token) or runs unsplit. Measured: torch 2.13 CPU gives the
# same bits on 1–4 threads for every row count but 5–7 and 9–11 (tests/test_threads.py checks it).
SMALL_BATCH = 12


@contextlib.contextmanager
def one_thread_for_small_batches(inputs: int, device: str = "cpu"):
    """Within the block, torch uses one intra-op thread when ``inputs`` < :data:`SMALL_BATCH` on a CPU,
    so that a small batch's outputs do not depend on the thread count; otherwise nothing changes. Such
    batches are small, so the thread given up costs little."""
    if inputs >= SMALL_BATCH or str(device).split(":")[0] != "cpu" or "torch" not in sys.modules:
        yield
        return
    import torch

    threads = torch.get_num_threads()
    if threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def make_thread_invariant(model):
    """Make training of ``model`` give the same bits for any thread count (see the module docstring).

    Every ``torch.nn.LayerNorm`` computes its affine part with ordinary tensor operations (whose
    gradients torch reduces in a fixed order) instead of the fused kernel; attention dropout is set to
    0 in the modules and the config (so the saved config says what was trained). Parameters, state-dict
    keys and forward values are unchanged in kind, so ``save_pretrained`` writes an ordinary checkpoint.
    Returns ``model``.
    """
    import torch

    for module in model.modules():
        if type(module) is torch.nn.LayerNorm and module.elementwise_affine:
            # Swapping the class keeps the parameters, their names and any hooks in place.
            module.__class__ = _invariant_layer_norm_class()
        if type(module).__name__.endswith("SelfAttention") and isinstance(getattr(module, "dropout", None),
                                                                       torch.nn.Dropout):
            module.dropout.p = 0.0
    if hasattr(model, "config") and hasattr(model.config, "attention_probs_dropout_prob"):
        model.config.attention_probs_dropout_prob = 0.0
    return model


@functools.lru_cache(maxsize=None)
def _invariant_layer_norm_class():
    """The LayerNorm subclass, built on first use so that importing this module does not import torch."""
    import torch
    import torch.nn.functional as F

    class ThreadInvariantLayerNorm(torch.nn.LayerNorm):
        """LayerNorm whose weight and bias gradients do not depend on the number of threads."""

        def forward(self, x):
            normed = F.layer_norm(x, self.normalized_shape, None, None, self.eps)
            out = normed * self.weight
            return out + self.bias if self.bias is not None else out

    return ThreadInvariantLayerNorm

