"""Where the runs of a design execute: this process, a local process pool, or a Dask cluster.

Every executor takes a module-level function and a list of jobs and yields ``(index,
result)`` as runs finish, in any order; the engine orders the rows by run id, so the
same design gives the same table whatever the executor and the number of workers.

- :class:`InProcess`: one run after another in this process (``workers=1``).
- :class:`LocalPool`: worker processes forked from a ``forkserver`` that has imported
  care-sim once (no per-worker import cost, no fork of a process with threads), with
  one BLAS/OpenMP thread per worker, set before numpy loads.
- :class:`DaskExecutor`: a Dask distributed cluster (``tcp://HOST:PORT``); tasks are
  submitted with ``pure=False`` so two runs never share a key, and each returns only its
  summary row (and the weekly/client tables when asked).

Jobs are submitted in a window of a few per worker, so a design of 100,000 runs does not
sit in memory as futures and an interrupted design cancels little.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

#: Environment variables that fix BLAS/OpenMP threads per worker process.
THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
#: The module the forkserver imports once, so workers start with care-sim loaded.
PRELOAD = "sim.experiments.worker"
#: Jobs in flight per worker.
WINDOW_PER_WORKER = 4


class RunFailed(RuntimeError):
    """A run raised in its worker; ``index`` is the job's position, ``cause`` the error."""

    def __init__(self, index: int, cause: BaseException):
        super().__init__(f"{type(cause).__name__}: {cause}")
        self.index = index
        self.cause = cause


class ExecutorError(RuntimeError):
    """An executor could not start (e.g. no Dask scheduler at the address)."""


def default_workers() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _windowed(
    submit: Callable[[Any], Any],
    wait_any: Callable[[list[Any]], Iterable[Any]],
    cancel: Callable[[list[Any]], None],
    jobs: Sequence[Any],
    window: int,
) -> Iterator[tuple[int, Any]]:
    """Keep ``window`` jobs in flight; yield ``(index, result)`` as they finish."""
    pending: dict[Any, int] = {}
    todo = iter(enumerate(jobs))
    try:
        while True:
            for i, job in itertools.islice(todo, max(0, window - len(pending))):
                pending[submit(job)] = i
            if not pending:
                return
            for fut in wait_any(list(pending)):
                i = pending.pop(fut)
                try:
                    result = fut.result()
                except Exception as exc:
                    raise RunFailed(i, exc) from exc
                yield i, result
    finally:
        if pending:
            cancel(list(pending))


class InProcess:
    """Run the jobs one after another in this process."""

    kind = "in-process"

    def __init__(self) -> None:
        self.workers = 1

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "workers": 1}

    def imap_unordered(self, fn: Callable[[Any], Any], jobs: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        for i, job in enumerate(jobs):
            try:
                result = fn(job)
            except Exception as exc:
                raise RunFailed(i, exc) from exc
            yield i, result

    def close(self) -> None:
        pass

    def __enter__(self) -> InProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def _single_thread_env() -> Iterator[None]:
    """Set the thread variables to 1 while a child is started, then restore them."""
    old = {k: os.environ.get(k) for k in THREAD_VARS}
    os.environ.update(dict.fromkeys(THREAD_VARS, "1"))
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _init_worker() -> None:
    """In each worker: one BLAS thread for anything it starts, Ctrl-C left to the parent
    (which cancels the design and stops the pool) instead of a traceback per worker, and a
    watchdog that ends the worker when the parent dies (SIGKILL included): a pool worker
    otherwise waits for work forever."""
    import threading
    from multiprocessing.connection import wait

    os.environ.update(dict.fromkeys(THREAD_VARS, "1"))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None and parent.sentinel is not None:

        def watch() -> None:
            wait([parent.sentinel])
            os._exit(3)

        threading.Thread(target=watch, name="care-sim parent watchdog", daemon=True).start()


def _forkserver_context():
    """The forkserver context, its server started with one BLAS thread and care-sim loaded.

    The server is a fresh interpreter (not a fork of this process, which may run threads:
    tqdm's monitor, a Dask client), so workers forked from it are safe; the thread
    variables are in its environment before it imports numpy.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():  # Windows
        return multiprocessing.get_context("spawn")
    from multiprocessing import forkserver

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([PRELOAD])
    with _single_thread_env():
        forkserver.ensure_running()
    return ctx


class LocalPool:
    """A pool of ``workers`` local processes (forkserver, one BLAS thread each)."""

    kind = "local"

    def __init__(self, workers: int | None = None) -> None:
        from concurrent.futures import ProcessPoolExecutor

        self.workers = int(workers or default_workers())
        if self.workers < 1:
            raise ExecutorError(f"workers = {workers} must be at least 1")
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=_forkserver_context(), initializer=_init_worker
        )

    @property
    def executor(self):
        """The underlying ``concurrent.futures.ProcessPoolExecutor`` (for ``map`` of other functions)."""
        return self._pool

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "workers": self.workers, "start_method": "forkserver", "blas_threads": 1}

    def imap_unordered(self, fn: Callable[[Any], Any], jobs: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        from concurrent.futures import FIRST_COMPLETED, wait

        def cancel(futures: list[Any]) -> None:
            for f in futures:
                f.cancel()

        return _windowed(
            lambda job: self._pool.submit(fn, job),
            lambda fs: wait(fs, return_when=FIRST_COMPLETED).done,
            cancel,
            jobs,
            WINDOW_PER_WORKER * self.workers,
        )

    def close(self, kill: bool = False) -> None:
        """Stop the pool; ``kill`` ends running workers at once (after an interrupt or error)."""
        if kill:
            procs = list(getattr(self._pool, "_processes", {}).values())
            self._pool.shutdown(wait=False, cancel_futures=True)
            for p in procs:
                with contextlib.suppress(OSError, ValueError, AttributeError):
                    p.terminate()
            for p in procs:
                with contextlib.suppress(OSError, ValueError, AttributeError):
                    p.join(5)
        else:
            self._pool.shutdown(wait=True)

    def __enter__(self) -> LocalPool:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close(kill=exc_type is not None)


class DaskExecutor:
    """Run on a Dask distributed cluster through its scheduler (``tcp://HOST:PORT``).

    The workers need care-sim installed (the same version: the manifest records this
    side's). Dask's nanny starts each worker with one BLAS thread by default
    (``distributed.nanny.pre-spawn-environ``).
    """

    kind = "dask"

    def __init__(self, scheduler: str, timeout: float = 10.0) -> None:
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise ExecutorError("--scheduler needs Dask distributed: pip install 'dask[distributed]'") from exc
        self.scheduler = scheduler
        try:
            self._client = Client(scheduler, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ExecutorError(f"no Dask scheduler at {scheduler}: {exc}") from None
        info = self._client.scheduler_info(n_workers=-1)
        nthreads = [w.get("nthreads", 1) for w in info.get("workers", {}).values()]
        self.n_processes = len(nthreads)
        self.workers = max(1, sum(nthreads))

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "scheduler": self.scheduler, "workers": self.workers, "processes": self.n_processes}

    def imap_unordered(self, fn: Callable[[Any], Any], jobs: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        from distributed import as_completed

        client = self._client
        done = as_completed(loop=client.loop)  # futures added as submitted; next() gives a finished one

        def submit(job: Any) -> Any:
            fut = client.submit(fn, job, pure=False)  # pure=False: equal jobs never share a key
            done.add(fut)
            return fut

        return _windowed(submit, lambda fs: [next(done)], client.cancel, jobs, WINDOW_PER_WORKER * self.workers)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_executor(workers: int | None = None, scheduler: str | None = None) -> InProcess | LocalPool | DaskExecutor:
    """The executor for the command-line options: Dask with ``scheduler``, else a local
    pool of ``workers`` (default: the cores), or this process for one worker."""
    if scheduler:
        return DaskExecutor(scheduler)
    n = int(workers or default_workers())
    if n < 1:
        raise ExecutorError(f"workers = {workers} must be at least 1")
    return InProcess() if n == 1 else LocalPool(n)
