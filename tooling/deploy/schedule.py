"""Run one job per stack, each as soon as the stacks it depends on are done, a few at a time.

``graphlib.TopologicalSorter`` (stdlib) says which stacks are ready and refuses a cycle;
``concurrent.futures`` runs the jobs (each waits on a Terraform subprocess, so threads suffice).
Written here is only the policy on failure, which neither library has: once a job fails, nothing
new starts, the jobs already running finish (an apply interrupted midway leaves its stack half
applied and its state locked), and the stacks never started are left out of the result, for the
caller to report.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from graphlib import CycleError, TopologicalSorter
from typing import TypeVar

T = TypeVar("T")


class ScheduleError(ValueError):
    pass


def run_in_dependency_order(
    nodes: Sequence[str],
    depends_on: Mapping[str, Collection[str]],
    job: Callable[[str], T],
    *,
    workers: int,
    stop_when: Callable[[T], bool],
) -> dict[str, T]:
    """``job(node)`` for each node once all of ``depends_on[node]`` (within ``nodes``) have
    finished without ``stop_when``; at most ``workers`` at a time. Returns the results of the
    jobs that ran, in ``nodes`` order; a node missing from it was not started because an
    earlier job stopped the run. A job that raises stops the run the same way, and its
    exception is raised once the running jobs have finished."""
    if workers < 1:
        raise ScheduleError(f"parallelism must be 1 or more, not {workers}")
    graph = {node: {d for d in depends_on.get(node, ()) if d in nodes} for node in nodes}
    sorter: TopologicalSorter[str] = TopologicalSorter(graph)
    try:
        sorter.prepare()
    except CycleError as error:
        raise ScheduleError(
            f"the stacks depend on each other in a circle: {error.args[1]}"
        ) from None
    results: dict[str, T] = {}
    raised: BaseException | None = None
    stopped = False
    ready: list[str] = []  # submitted only when a worker is free: a queued job could start
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stack") as pool:
        running: dict[Future[T], str] = {}  # after a failure the run has not seen yet
        while True:
            if not stopped:
                ready.extend(sorted(sorter.get_ready(), key=nodes.index))
                while ready and len(running) < workers:
                    node = ready.pop(0)
                    running[pool.submit(job, node)] = node
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                node = running.pop(future)
                failure = future.exception()
                if failure is not None:
                    raised, stopped = raised or failure, True
                    continue
                results[node] = future.result()
                if stop_when(results[node]):
                    stopped = True
                else:
                    sorter.done(node)
    if raised is not None:
        raise raised
    return {node: results[node] for node in nodes if node in results}
