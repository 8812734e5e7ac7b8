"""Multi-process launches (``torchrun``, ``accelerate launch``): how many processes, and how many of them
share this machine.

Read from the environment the launchers set, so that a plain run neither imports accelerate nor
touches ``torch.distributed`` (:func:`~metacompress_eval.inference.distributed_state` builds the
collective state on top of :func:`world_size`).
"""

from __future__ import annotations

import os

__all__ = ["local_processes", "world_size"]

# The variables accelerate's own CPU launch reads (accelerate.utils.get_cpu_distributed_information):
# torchrun and accelerate launch set LOCAL_RANK / LOCAL_WORLD_SIZE, MPI launchers their own names.
_LOCAL_RANK = ("LOCAL_RANK", "MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK", "MV2_COMM_WORLD_LOCAL_RANK")
_LOCAL_SIZE = ("LOCAL_WORLD_SIZE", "MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE", "MV2_COMM_WORLD_LOCAL_SIZE")


# ... and its world size: an MPI launch (``mpirun``, ``accelerate launch --mpirun_hostfile``) sets no WORLD_SIZE,
# yet accelerate's PartialState (the pipeline's sharding) sees it as a launch of that many processes.
_WORLD_SIZE = ("WORLD_SIZE", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")


def world_size() -> int:
    """Processes of the launch this process belongs to: the first of ``WORLD_SIZE`` (torchrun, accelerate
    launch) or an MPI launcher's ``PMI_SIZE`` / ``OMPI_COMM_WORLD_SIZE`` / ``MV2_COMM_WORLD_SIZE`` that holds a
    number, in the order accelerate reads them; 1 when none does."""
    return max(1, _first_int(_WORLD_SIZE) or 1)


def _first_int(names: tuple[str, ...]) -> int | None:
    for name in names:
        try:
            value = int(os.environ.get(name, ""))
        except ValueError:
            continue
        if value >= 0:
            return value
    return None


def local_processes() -> tuple[int, int]:
    """``(local rank, local processes)``: this process's place among the processes of its launch that run
    on this machine; ``(0, 1)`` for a plain run.

    The local count is ``LOCAL_WORLD_SIZE`` (or an MPI launcher's equivalent); a launch that sets none
    counts every process as local (sharing the CPUs too finely rather than oversubscribing them).
    """
    world = world_size()
    if world <= 1:
        return 0, 1
    size = _first_int(_LOCAL_SIZE) or world
    rank = _first_int(_LOCAL_RANK) or 0
    return min(rank, size - 1), size
