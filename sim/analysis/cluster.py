"""Dask clusters for the studies that run many ensembles (sweeps, sensitivity, plans): a local
cluster, an existing scheduler, or a dask-jobqueue cluster on a batch scheduler; and closing them
quietly after an interruption."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from typing import Any, Callable


def close_quietly(closers: list[Callable[[], Any]], interrupted: bool) -> None:
    """Call the closers of :func:`dask_client` in order. After an interruption the cluster is torn
    down while its tasks are cancelled: Dask then logs a warning or traceback per worker and
    objects of its event loop fail in their finalisers ("Exception ignored in ... IOLoop is
    closed"), which says nothing to the user; the process is ending, so both are silenced."""
    if interrupted:
        for name in ["distributed", *logging.root.manager.loggerDict]:
            if name.startswith(("distributed", "tornado", "asyncio")):
                logging.getLogger(name).setLevel(logging.CRITICAL + 1)
        ignore_closed_loop_finalisers()
    for close in closers:
        try:
            close()
        except Exception:  # noqa: BLE001 - a cluster failing to close must not hide the result
            if not interrupted:
                raise


def ignore_closed_loop_finalisers() -> None:
    """In this process, drop the "Exception ignored in Client.__del__ ... IOLoop is closed" that
    a Dask client's finaliser prints when the cluster was torn down under it (an interrupted
    sweep, in the main process and in each worker); any other unraisable error is still shown."""
    shown = sys.unraisablehook

    def hook(unraisable) -> None:
        if (getattr(unraisable.object, "__qualname__", "") == "Client.__del__"
                and isinstance(unraisable.exc_value, RuntimeError)):
            return
        shown(unraisable)

    sys.unraisablehook = hook


@contextlib.contextmanager
def optional_client(scheduler: str | None, workers: int | None):
    """(client, Numba threads per task) of :func:`dask_client` for a study that runs in this
    process unless ``scheduler`` or ``workers`` is given ((None, None) then); the cluster is closed
    when the block ends, quietly after an interruption (:func:`close_quietly`)."""
    if not (scheduler or workers):
        yield None, None
        return
    client, closers, threads = dask_client(None, scheduler, workers)
    interrupted = False
    try:
        yield client, threads
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        close_quietly(closers, interrupted)


def dask_client(sweep, scheduler: str | None = None, workers: int | None = None,
                cluster: str | None = None) -> tuple[Any, list[Callable[[], Any]], int]:
    """(client, closers, Numba threads per case) for the chosen way of running a sweep: an
    existing scheduler at ``scheduler``; a dask-jobqueue ``cluster`` ("slurm" or "pbs") from the
    sweep's ``[cluster]`` table, ``workers`` jobs (default its ``jobs``); else a local cluster of
    ``workers`` processes (default one per core). Call the closers, in order, when done.
    Raises ImportError with the install hint when ``cluster`` is asked for without dask-jobqueue.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        client = Client(scheduler)
        return client, [client.close], 1
    if cluster:
        try:
            import dask_jobqueue  # noqa: F401
        except ImportError:
            raise ImportError("--cluster needs dask-jobqueue: pip install -e '.[cluster]'") from None
        jq = jobqueue_cluster(sweep, cluster)
        jq.scale(jobs=workers or int(sweep.cluster.get("jobs", 1)))
        client = Client(jq)
        return client, [client.close, jq.close], 1
    n = workers or os.cpu_count() or 1
    # worker processes read their log level from the environment when they start: warnings of
    # tasks cancelled at an interruption are noise to the user (failures are reported per case)
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "critical")
    # Ctrl-C goes to every process of the terminal's group: the worker processes ignore it (the
    # ignored disposition is inherited by the processes started now) and this process stops
    # them, instead of each worker printing a KeyboardInterrupt traceback
    with _sigint_ignored():
        local = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                             dashboard_address=":0")  # any free port: the link is printed
    client = Client(local)
    client.run(_quiet_worker)
    return client, [client.close, local.close], 1


@contextlib.contextmanager
def _sigint_ignored():
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _quiet_worker() -> None:
    """Run on each local worker: ignore SIGINT (also in a worker the nanny restarts later, as far
    as its event loop runs in the main thread) and the closed-loop finaliser noise."""
    with contextlib.suppress(ValueError):  # not the main thread: the inherited SIG_IGN holds
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    ignore_closed_loop_finalisers()


def jobqueue_cluster(sweep, kind: str):
    """A dask-jobqueue cluster (``kind`` slurm or pbs) from the sweep's ``[cluster]`` table,
    not yet scaled (``cluster.scale(jobs=...)`` submits the batch jobs)."""
    import dask_jobqueue

    settings = {k: v for k, v in sweep.cluster.items() if k != "jobs"}
    settings.setdefault("scheduler_options", {"dashboard_address": ":0"})
    cls = {"slurm": dask_jobqueue.SLURMCluster, "pbs": dask_jobqueue.PBSCluster}[kind]
    return cls(**settings)

