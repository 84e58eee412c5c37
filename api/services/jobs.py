"""Heavy work off the request path: a cost estimate, a budget, and a bounded pool of workers.

Planning, scoring, white space and check-batch can take seconds to minutes of CPU, and
numba/numpy kernels hold the GIL for long stretches, so a thread of the server process
running them starves the event loop (``/health`` and single checks waited 19 s behind
one plan). Here such work is:

1. **estimated** before it starts (:func:`pairs_within`, :class:`Budget`): a cost in *work
   units*, roughly microseconds of one core of the reference machine;
2. **refused** when the estimate is over ``Budget.limit``: :class:`OverBudget` (HTTP 413),
   naming the limit and the estimate;
3. **run in the server process** (a thread) when it is tiny (``<= Budget.inline``);
4. otherwise **run in a worker process** forked from the server process
   (:class:`JobRunner`): the child sees a copy-on-write *snapshot* of the in-memory index
   and models as they were at the fork, so the server keeps answering single checks and
   ``/health`` from its own index, and no lock of the server is held while the work runs.
   A request up to ``Budget.sync`` waits for its answer (a client that disconnects kills
   its process); above that it becomes a **job** (HTTP 202 and an id): ``GET
   /v1/jobs/{id}`` for its status and result, ``DELETE`` kills it. Jobs and waiting
   requests have slots of their own, so a long job never delays a waiting request: at
   most ``workers`` jobs run at once, more wait in a queue of at most ``max_queued``; at
   most ``sync_workers`` waiting requests run at once; one more waits up to
   ``sync_wait_s`` for a slot, then is refused (:class:`Busy`, HTTP 503). Both kinds of worker
   process run alike (niceness, memory cap, their own process group).
   :meth:`JobRunner.shutdown` (SIGTERM) kills every worker process at once.

A job belongs to its caller (:attr:`Job.owner`): another caller gets 404, as for an
unknown id. The runner is generic: ``submit(kind, work, owner=..., cost=...)`` runs any
function returning a JSON-serialisable value (``POST /v1/model/calibrate`` could use it).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import math
import os
import pickle
import signal
import threading
import time
import uuid
import warnings
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from data import errors as domain_errors
from data.errors import NotFoundError, PayloadTooLargeError, PvzError
from data.store.base import now_utc, to_iso

__all__ = [
    "Budget",
    "Busy",
    "ClientGone",
    "Job",
    "JobFailed",
    "JobRunner",
    "OverBudget",
    "check_batch_cost",
    "pairs_within",
    "plan_cost",
    "score_cost",
    "whitespace_cost",
]

log = logging.getLogger(__name__)

# Forking a process that has threads is what this module does on purpose: the child runs
# one function on a snapshot and leaves with os._exit, touching no lock another thread held
# (the index and model locks are held by the forking thread across the fork, see
# JobRunner). Python 3.12 warns about it in general; the warning is not about this use.
warnings.filterwarnings("ignore", message=r".*use of fork\(\) may lead to deadlocks.*",
                        category=DeprecationWarning)  # fmt: skip

#: work units (about microseconds of one core) per item, fitted to timings on the reference
#: machine (see bench/README.md, "API under heavy work"); estimates, not promises. A plan's
#: heuristics (lazy greedy, swaps, GRASP, ILS) cost about 30 ns per pair within reach and
#: site: 0.15 M pairs x k 200 took 3.6 s, 5.1 M x 500 85 s, 7.3 M x 1,000 220 s.
UNITS_PER_CHECK = 40.0  # one candidate of check-batch (index query, JSON): 20,000 in 0.8 s
UNITS_PER_SCORED = 5000.0  # one scored candidate (check, Huff terms, explanation, JSON)
UNITS_PER_SCORE_PAIR = 0.5  # one candidate-demand pair within the Huff reach
UNITS_PER_PLAN_PAIR = 1.0  # one candidate-demand pair within the service radius (building)
UNITS_PER_PLAN_PAIR_SITE = 0.035  # one such pair per site to choose (k): the heuristics
UNITS_PER_PLAN_STEP = 2.0  # one candidate per site to choose (k)
UNITS_PER_WHITE_CELL = 60.0  # one demand cell of white space: 52,000 cells in 3.3 s
_EARTH_M = 6_371_008.8


@dataclass(frozen=True)
class Budget:
    """How much work a request may ask for, in work units (about microseconds of one core).

    Attributes
    ----------
    inline : at most this runs in the server process (a thread): tiny requests
    sync : at most this runs in a worker process while the request waits for the answer
    limit : more than this is refused (:class:`OverBudget`, HTTP 413); between ``sync``
        and ``limit`` the request becomes a job (HTTP 202)
    """

    inline: float
    sync: float
    limit: float

    def mode(self, cost: float, what: str) -> str:
        """``"inline"``, ``"sync"`` or ``"job"`` for work of ``cost`` units; raises
        :class:`OverBudget` over the limit."""
        if not math.isfinite(cost) or cost > self.limit:
            raise OverBudget(what, cost, self.limit)
        if cost <= self.inline:
            return "inline"
        return "sync" if cost <= self.sync else "job"


class OverBudget(PayloadTooLargeError):
    """The estimated work is over the budget (HTTP 413); names the limit and the estimate."""

    def __init__(self, what: str, cost: float, limit: float) -> None:
        self.cost, self.limit = cost, limit
        super().__init__(
            f"{what}: estimated work {cost:,.0f} units is over the budget of {limit:,.0f} "
            "units (PVZ_COST_LIMIT; a unit is about a microsecond of one core); ask for less "
            "(fewer candidates or demand points, a smaller radius or k)",
            column="cost",
        )


class Busy(PvzError):
    """Too many jobs queued already (HTTP 503); try again later."""


class JobFailed(PvzError):
    """A worker process failed without a domain error (a crash, out of memory)."""


class ClientGone(PvzError):
    """The client disconnected while its synchronous work ran; the work was killed."""


# ------------------------------------------------------------------ cost estimates
def _unit_xyz(lat: npt.ArrayLike, lon: npt.ArrayLike) -> npt.NDArray[np.float64]:
    la = np.radians(np.asarray(lat, dtype=np.float64))
    lo = np.radians(np.asarray(lon, dtype=np.float64))
    c = np.cos(la)
    return np.column_stack([c * np.cos(lo), c * np.sin(lo), np.sin(la)]) * _EARTH_M


def pairs_within(
    lat_a: npt.ArrayLike,
    lon_a: npt.ArrayLike,
    lat_b: npt.ArrayLike,
    lon_b: npt.ArrayLike,
    radius_m: float,
) -> float:
    """An estimate of how many pairs ``(a, b)`` lie within ``radius_m`` of each other.

    Points ``b`` are counted on a grid of cubes of side ``radius_m`` in Earth-centred
    coordinates (a sphere); each ``a`` adds the ``b`` of its 3 x 3 x 3 block of cubes
    times ``pi / 9`` (the disc's share of the 3 x 3 square it lies in on the surface).
    ``O((n_a + n_b) log n_b)``; exact to a small factor for spread points, never zero when
    a true pair exists. ``radius_m`` > 0, metres.
    """
    a = _unit_xyz(lat_a, lon_a)
    b = _unit_xyz(lat_b, lon_b)
    if a.shape[0] == 0 or b.shape[0] == 0:
        return 0.0
    r = max(float(radius_m), 1.0)
    cb = np.floor(b / r).astype(np.int64)
    ca = np.floor(a / r).astype(np.int64)
    off = 1 << 20
    mask = (1 << 21) - 1

    def key(c: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        return (
            (((c[:, 0] + off) & mask) << 42)
            | (((c[:, 1] + off) & mask) << 21)
            | ((c[:, 2] + off) & mask)
        )

    keys, counts = np.unique(key(cb), return_counts=True)
    total = 0
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            for dz in (-1, 0, 1):
                k = key(ca + np.array([dx, dy, dz], dtype=np.int64))
                pos = np.searchsorted(keys, k)
                pos[pos >= keys.size] = 0
                total += int(counts[pos][keys[pos] == k].sum())
    return total * math.pi / 9.0


def check_batch_cost(n: int) -> float:
    """Work units of a check-batch of ``n`` candidates."""
    return UNITS_PER_CHECK * n


def score_cost(n: int, reach_pairs: float) -> float:
    """Work units of scoring ``n`` candidates with ``reach_pairs`` candidate-demand pairs
    within the Huff model's reach (:func:`pairs_within`)."""
    return UNITS_PER_SCORED * n + UNITS_PER_SCORE_PAIR * reach_pairs


def plan_cost(n: int, k: int, reach_pairs: float) -> float:
    """Work units of a plan: ``n`` candidates, ``k`` sites, ``reach_pairs`` candidate-demand
    pairs within the service radius (:func:`pairs_within`)."""
    return (UNITS_PER_CHECK * n + UNITS_PER_PLAN_PAIR * reach_pairs
            + UNITS_PER_PLAN_PAIR_SITE * reach_pairs * k + UNITS_PER_PLAN_STEP * n * k)  # fmt: skip


def whitespace_cost(n_cells: int, reach_pairs: float = 0.0) -> float:
    """Work units of white space over ``n_cells`` demand cells with ``reach_pairs`` cell
    pairs within reach of each other (:func:`pairs_within`; the best sites of the zones
    are searched over them, so a wide reach costs far more than the cells alone)."""
    return UNITS_PER_WHITE_CELL * n_cells + UNITS_PER_SCORE_PAIR * reach_pairs


def calibration_cost(n_points: int, n_months: int, limit: float) -> float:
    """Work units of calibrating the scoring model on ``n_points`` points and ``n_months``
    months of orders (about 1,360 us a point for 12 months at 250,000 points,
    ``bench/scoring.py --calibration``), capped at ``limit``: an admin's calibration is never
    refused for its size, the largest run as jobs."""
    return min(float(n_points) * (1_000.0 + 30.0 * n_months), float(limit))


# ------------------------------------------------------------------ jobs
@dataclass
class Job:
    """One piece of heavy work and what became of it.

    Attributes
    ----------
    id : the job id (``J`` + 32 hex digits; unguessable)
    kind : what it does (``plan``, ``score``, ``whitespace``, ``check-batch``, ...)
    owner : who may see and cancel it (the caller's key id and partner)
    cost : the estimated work units
    status : ``queued``, ``running``, ``done``, ``failed`` or ``cancelled``
    created_at, started_at, finished_at : ISO timestamps (UTC)
    error : ``(class name, message)`` of a failed job
    """

    id: str
    kind: str
    owner: str
    cost: float
    work: Callable[[], Any] = field(repr=False)
    status: str = "queued"
    created_at: str = field(default_factory=lambda: to_iso(now_utc()))
    started_at: str | None = None
    finished_at: str | None = None
    error: tuple[str, str] | None = None
    result_json: bytes | None = field(default=None, repr=False)
    future: Future[bytes] = field(default_factory=Future, repr=False)
    _pid: int | None = field(default=None, repr=False)
    _cancelled: threading.Event = field(default_factory=threading.Event, repr=False)
    _pid_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _ended: float = field(default=0.0, repr=False)
    _release: Callable[[], None] | None = field(default=None, repr=False)

    @property
    def finished(self) -> bool:
        """Whether the job has ended (done, failed or cancelled)."""
        return self.status in ("done", "failed", "cancelled")

    def describe(self) -> dict[str, object]:
        """The job's status as ``GET /v1/jobs/{id}`` shows it (without the result)."""
        return {"id": self.id, "kind": self.kind, "status": self.status,
                "cost": round(self.cost), "created_at": self.created_at,
                "started_at": self.started_at, "finished_at": self.finished_at,
                "error": None if self.error is None else self.error[1]}  # fmt: skip


def _prctl_pdeathsig() -> None:
    """Linux: the child gets SIGKILL when its parent dies (no orphaned workers)."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _serial_kernels() -> None:
    """In a worker process: use the index's serial kernels.

    numba's parallel kernels run on GNU OpenMP, which cannot be used in a process forked
    from one that used it (numba stops the process). The worker runs one job on one core
    anyway, leaving the other cores to the server.
    """
    try:
        from geo import _kernels
    except ImportError:  # pragma: no cover
        return
    if hasattr(_kernels, "count_pairs_serial"):
        _kernels.count_pairs = _kernels.count_pairs_serial
    if hasattr(_kernels, "fill_pairs_serial"):
        _kernels.fill_pairs = _kernels.fill_pairs_serial
    if hasattr(_kernels, "segment_order"):

        def segment_order(offsets: Any, key: Any, tie: Any) -> Any:
            counts = np.diff(np.asarray(offsets))
            seg = np.repeat(np.arange(counts.size), counts)
            return np.lexsort((np.asarray(tie)[: seg.size], np.asarray(key)[: seg.size], seg))

        _kernels.segment_order = segment_order  # type: ignore[assignment]


def _limit_memory(extra_mb: int) -> None:
    """Cap the worker's address space at what it has now plus ``extra_mb`` MiB (0: no cap):
    an allocation beyond is a MemoryError (a failed job), not a server out of memory."""
    if extra_mb <= 0:
        return
    with contextlib.suppress(Exception):
        import resource

        pages = int(open("/proc/self/statm").read().split()[0])  # noqa: SIM115
        now = pages * os.sysconf("SC_PAGE_SIZE")
        cap = now + extra_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _child(
    work: Callable[[], Any],
    fd: int,
    after_fork: Callable[[], None] | None,
    nice: int,
    memory_mb: int = 0,
) -> None:
    """Run ``work`` in the forked worker and write ``b"ok" + json`` or ``b"er" + pickle``."""
    code = 0
    try:
        _prctl_pdeathsig()
        _limit_memory(memory_mb)
        with contextlib.suppress(OSError):
            os.nice(nice)  # the server's requests come first on a shared core
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
        with contextlib.suppress(ValueError, OSError):
            signal.set_wakeup_fd(-1)
        _serial_kernels()
        if after_fork is not None:
            after_fork()
        try:
            payload = b"ok" + orjson.dumps(work(), option=orjson.OPT_SERIALIZE_NUMPY)
        except PvzError as exc:
            payload = b"er" + pickle.dumps((type(exc).__name__, str(exc), _column(exc)))
        except MemoryError:
            payload = b"er" + pickle.dumps(("JobFailed", "out of memory (PVZ_JOB_MEMORY_MB)",
                                            None))  # fmt: skip
        except Exception as exc:  # a bug: log it here, report a failure there
            log.exception("job failed")
            payload = b"er" + pickle.dumps(("JobFailed", f"internal error: {exc!r}", None))
        view = memoryview(payload)
        while view:
            n = os.write(fd, view)
            view = view[n:]
    except BaseException:  # noqa: BLE001 - nothing may escape a forked child
        code = 1
    finally:
        os._exit(code)


def _column(exc: PvzError) -> str | None:
    return getattr(exc, "column", None)


def _rebuild(name: str, message: str, column: str | None) -> PvzError:
    """The domain error a worker raised, raised again in the server (same class, message)."""
    cls = getattr(domain_errors, name, None)
    if name == "JobFailed" or not (isinstance(cls, type) and issubclass(cls, PvzError)):
        return JobFailed(message)
    if issubclass(cls, domain_errors.InputError):
        err = cls.__new__(cls)
        Exception.__init__(err, message)
        err.message, err.source, err.row, err.column = message, None, None, column
        return err
    return cls(message)


class JobRunner:
    """A bounded pool of forked worker processes for heavy work, and the jobs registry.

    Parameters
    ----------
    workers : most worker processes running jobs at once (>= 1)
    max_queued : most jobs waiting for a worker; more: :class:`Busy`
    sync_workers : most worker processes running synchronous work (:meth:`run_sync`) at
        once (>= 1), apart from the jobs' ``workers``; one more waits for a slot
    sync_wait_s : how long a synchronous request waits for a sync slot, seconds; then
        :class:`Busy`
    keep_s : how long a finished job's status and result are kept, seconds
    fork_guard : a context manager held by the forking thread across ``fork()`` (the
        service's index and model locks: the child's copy is consistent and no lock is
        held by a thread that does not exist in the child)
    after_fork : called first in each worker process (e.g. give the service a store of
        its own: the parent's connections must not be used by the child)
    nice : the worker processes' niceness increment (0-19): the server's own requests
        win the CPU over heavy work
    memory_mb : most memory a worker process may allocate beyond the server's, MiB (0: no
        limit); more fails the job ("out of memory") and leaves the server alone
    """

    def __init__(
        self,
        *,
        workers: int = 1,
        max_queued: int = 8,
        sync_workers: int = 1,
        sync_wait_s: float = 30.0,
        keep_s: float = 600.0,
        fork_guard: Callable[[], AbstractContextManager[Any]] | None = None,
        after_fork: Callable[[], None] | None = None,
        nice: int = 10,
        memory_mb: int = 0,
    ) -> None:
        self.workers = max(1, int(workers))
        self.nice = nice
        self.memory_mb = memory_mb
        self.max_queued = max_queued
        self.keep_s = keep_s
        self._fork_guard = fork_guard or contextlib.nullcontext
        self._after_fork = after_fork
        self.sync_workers = max(1, int(sync_workers))
        self.sync_wait_s = max(0.0, float(sync_wait_s))
        self._slots = threading.BoundedSemaphore(self.workers)
        self._sync_slots = threading.BoundedSemaphore(self.sync_workers)
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._closed = False

    # -------------------------------------------------------------- registry
    def submit(self, kind: str, work: Callable[[], Any], *, owner: str,
               cost: float = 0.0) -> Job:  # fmt: skip
        """Queue ``work`` (a function returning a JSON-serialisable value) for a worker
        process; returns the job at once. :class:`Busy` if the queue is full."""
        return self._start(kind, work, owner=owner, cost=cost, sync=False)

    def _start(self, kind: str, work: Callable[[], Any], *, owner: str, cost: float,
               sync: bool) -> Job:  # fmt: skip
        """Register and start a job; a synchronous one (``sync``, never found by
        :meth:`get`) holds one of the sync slots already."""
        job = Job(id=f"J{uuid.uuid4().hex}", kind=kind, owner="" if sync else owner,
                  cost=cost, work=work)  # fmt: skip
        with self._lock:
            if self._closed:
                raise Busy("the server is shutting down")
            self._prune()
            if not sync:
                waiting = sum(1 for j in self._jobs.values() if j.status == "queued" and j.owner)
                if waiting >= self.max_queued:
                    raise Busy(f"{waiting} jobs are waiting for a worker already "
                               f"(PVZ_JOB_QUEUE={self.max_queued}); try again later")  # fmt: skip
            self._jobs[job.id] = job
        threading.Thread(target=self._run, args=(job, sync), name=f"job-{job.id[:9]}",
                         daemon=True).start()  # fmt: skip
        return job

    def get(self, job_id: str, owner: str) -> Job:
        """The job ``job_id`` of ``owner``; :class:`NotFoundError` for an unknown id or
        another caller's job (the same answer: ids of others do not exist)."""
        with self._lock:
            self._prune()
            job = self._jobs.get(job_id)
        if job is None or not job.owner or job.owner != owner:
            raise NotFoundError(f"no job with id {job_id!r}")
        return job

    def cancel(self, job_id: str, owner: str) -> Job:
        """Cancel ``owner``'s job: a queued one never starts, a running one's process is
        killed; a finished job stays as it is. :class:`NotFoundError` as :meth:`get`."""
        job = self.get(job_id, owner)
        self._kill(job)
        return job

    def active(self) -> list[Job]:
        """Jobs queued or running."""
        with self._lock:
            return [j for j in self._jobs.values() if not j.finished]

    def _prune(self) -> None:
        now = time.monotonic()
        for jid in [j.id for j in self._jobs.values()
                    if j.finished and now - j._ended > self.keep_s]:  # fmt: skip
            del self._jobs[jid]

    def _kill(self, job: Job) -> None:
        """Cancel ``job``: kill its worker's process group (the worker and any solver
        process it started). The pid is only used while the process is not reaped."""
        job._cancelled.set()
        with job._pid_lock:
            pid = job._pid
            if pid is None:
                return
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:  # not a group leader yet
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)

    def shutdown(self) -> None:
        """Kill every worker process and cancel every queued job (at SIGTERM)."""
        with self._lock:
            self._closed = True
            jobs = list(self._jobs.values())
        for job in jobs:
            if not job.finished:
                self._kill(job)

    # -------------------------------------------------------------- running
    def _finish(self, job: Job, status: str, *, result: bytes | None = None,
                error: PvzError | None = None) -> None:  # fmt: skip
        release, job._release = job._release, None
        if release is not None:  # the slot is free before anyone learns the outcome
            release()
        job.status = status
        job.finished_at = to_iso(now_utc())
        job._ended = time.monotonic()
        job.work = _spent
        if status == "done":
            assert result is not None
            job.result_json = result
            job.future.set_result(result)
        else:
            err = error or ClientGone("cancelled")
            job.error = (type(err).__name__, str(err))
            job.future.set_exception(err)

    def _run(self, job: Job, sync: bool = False) -> None:
        slots = self._sync_slots if sync else self._slots
        while not sync and not slots.acquire(timeout=0.1):  # a sync job holds its slot
            if job._cancelled.is_set():
                self._finish(job, "cancelled")
                return
        job._release = slots.release  # released once: by _finish, or at the end here
        try:
            if job._cancelled.is_set():
                self._finish(job, "cancelled")
                return
            job.status = "running"
            job.started_at = to_iso(now_utc())
            self._fork_and_wait(job)
        except BaseException as exc:  # noqa: BLE001 - a job thread must always finish its job
            if not job.finished:
                self._finish(job, "failed", error=JobFailed(f"internal error: {exc!r}"))
        finally:
            release, job._release = job._release, None
            if release is not None:
                release()

    def _fork_and_wait(self, job: Job) -> None:
        r, w = os.pipe()
        with self._fork_guard():
            pid = os.fork()
            if pid == 0:  # the worker process
                os.close(r)
                with contextlib.suppress(OSError):
                    os.setpgid(0, 0)  # its own group: a kill reaches its solver process too
                _child(job.work, w, self._after_fork, self.nice, self.memory_mb)
        os.close(w)
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)  # (both sides set it: no window where it is not)
        job._pid = pid
        if job._cancelled.is_set():  # cancelled while forking
            self._kill(job)
        chunks: list[bytes] = []
        try:
            while True:
                chunk = os.read(r, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            os.close(r)
            os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)  # exited; not reaped yet
            with job._pid_lock:
                job._pid = None
                _, status = os.waitpid(pid, 0)
        data = b"".join(chunks)
        if job._cancelled.is_set():
            self._finish(job, "cancelled")
        elif data[:2] == b"ok":
            self._finish(job, "done", result=data[2:])
        elif data[:2] == b"er":
            self._finish(job, "failed", error=_rebuild(*pickle.loads(data[2:])))
        else:
            why = (f"killed by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
                   else f"exit code {os.waitstatus_to_exitcode(status)}")  # fmt: skip
            self._finish(job, "failed", error=JobFailed(f"the worker process failed ({why})"))

    async def run_sync(
        self,
        kind: str,
        work: Callable[[], Any],
        *,
        cost: float,
        disconnected: Callable[[], Awaitable[bool]] | None = None,
    ) -> bytes:
        """Run ``work`` in a worker process of the sync slots (never behind the jobs) and
        wait for its JSON; when every sync slot is taken, wait up to ``sync_wait_s`` for
        one (a map opening asks for several heavy layers at once), then :class:`Busy`. The process
        is killed when ``disconnected()`` turns true (:class:`ClientGone`) or this coroutine
        is cancelled (server shutdown). Domain errors of the work are raised here."""
        give_up = time.monotonic() + self.sync_wait_s
        while not self._sync_slots.acquire(blocking=False):
            if time.monotonic() >= give_up:
                raise Busy(f"{self.sync_workers} heavy request(s) that wait for their answer "
                           f"are running already (PVZ_SYNC_WORKERS={self.sync_workers}) and "
                           f"none finished within {self.sync_wait_s:g} s (PVZ_SYNC_WAIT_S); "
                           "try again shortly")  # fmt: skip
            if disconnected is not None and await disconnected():
                raise ClientGone("the client disconnected while waiting for a worker")
            await asyncio.sleep(0.05)
        try:
            job = self._start(kind, work, owner="", cost=cost, sync=True)
        except BaseException:
            self._sync_slots.release()
            raise
        fut = asyncio.wrap_future(job.future)
        try:
            while True:
                done, _ = await asyncio.wait({fut}, timeout=0.1)
                if done:
                    return fut.result()
                if disconnected is not None and await disconnected():
                    self._kill(job)
                    raise ClientGone("the client disconnected; its work was stopped")
        finally:
            if not job.finished:
                self._kill(job)
            with self._lock:
                self._jobs.pop(job.id, None)


def _spent() -> None:
    """A finished job's work (the closure and the arrays it held are released)."""


@contextlib.contextmanager
def held(*locks: threading.RLock | threading.Lock) -> Iterator[None]:
    """Hold every lock of ``locks`` (in order) for the duration."""
    with contextlib.ExitStack() as stack:
        for lock in locks:
            stack.enter_context(lock)
        yield


class _StoreOfItsOwn:
    """A worker process's store: opened on first use (the server's connections are the
    server's: a forked child must not use or close them)."""

    def __init__(self, opener: Callable[[], Any]) -> None:
        self._opener = opener
        self._store: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._store is None:
            self._store = self._opener()
        return getattr(self._store, name)


def runner_for(service: Any) -> JobRunner:
    """The :class:`JobRunner` of a :class:`~api.service.Service`, from its settings
    (``job_workers``, ``job_queue``, ``sync_workers``, ``job_keep_s``).

    The fork holds the service's index lock and its network model's lock, so the worker's
    copy is a consistent snapshot; in the worker, the service is frozen (no replay of the
    audit log: the snapshot is what the work sees) and has a store of its own.
    """
    from api.services.planning import network_model
    from data.store import open_store

    settings = service.settings
    model = network_model(service)

    def guard() -> AbstractContextManager[None]:
        return held(service.index_lock, model.lock)

    def after_fork() -> None:
        service.freeze()
        service.store = _StoreOfItsOwn(lambda: open_store(settings.database_url,
                                                          service.policy))  # fmt: skip

    return JobRunner(workers=settings.job_workers, max_queued=settings.job_queue,
                     sync_workers=settings.sync_workers, sync_wait_s=settings.sync_wait_s,
                     keep_s=settings.job_keep_s, fork_guard=guard,
                     after_fork=after_fork, nice=settings.job_nice,
                     memory_mb=settings.job_memory_mb)  # fmt: skip


def budget_of(settings: Any) -> Budget:
    """The :class:`Budget` of the settings (``cost_inline``, ``cost_sync``, ``cost_limit``)."""
    return Budget(inline=settings.cost_inline, sync=settings.cost_sync,
                  limit=settings.cost_limit)  # fmt: skip
