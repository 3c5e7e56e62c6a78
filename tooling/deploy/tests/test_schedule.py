"""The stack scheduler (tooling/deploy/schedule.py), checked over every dependency graph of
four stacks (each of the 6 possible forward edges present or not: 64 graphs), each stack
failing or none, one to four workers: 64 * 5 * 4 = 1280 runs, each against the rules a deploy
relies on, with the order observed by the jobs themselves."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator

import pytest

from tooling.deploy.schedule import ScheduleError, run_in_dependency_order

NODES = ("a", "b", "c", "d")
EDGES = [(NODES[i], NODES[j]) for i, j in itertools.combinations(range(4), 2)]


def _graphs() -> Iterator[dict[str, set[str]]]:
    for present in itertools.product((False, True), repeat=len(EDGES)):
        graph: dict[str, set[str]] = {node: set() for node in NODES}
        for (upstream, node), keep in zip(EDGES, present, strict=True):
            if keep:
                graph[node].add(upstream)
        yield graph


class Journal:
    """What the jobs saw: the order of starts and ends, and how many ran at once."""

    def __init__(self, failing: str | None) -> None:
        self.failing = failing
        self.events: list[tuple[str, str]] = []
        self.active = self.most_active = 0
        self._lock = threading.Lock()

    def job(self, node: str) -> str:
        with self._lock:
            self.events.append(("start", node))
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        with self._lock:
            self.active -= 1
            self.events.append(("end", node))
        return "failed" if node == self.failing else "ok"

    def at(self, kind: str, node: str) -> int:
        return self.events.index((kind, node))


def _downstream(graph: dict[str, set[str]], node: str) -> set[str]:
    found: set[str] = set()
    frontier = {node}
    while frontier:
        frontier = {n for n, ups in graph.items() if ups & frontier} - found
        found |= frontier
    return found


@pytest.mark.parametrize("workers", [1, 2, 3, 4])
def test_every_graph_and_failure_keeps_the_rules(workers: int) -> None:
    for graph in _graphs():
        for failing in (None, *NODES):
            journal = Journal(failing)
            ran = run_in_dependency_order(
                NODES, graph, journal.job, workers=workers, stop_when=lambda r: r == "failed"
            )
            where = f"graph {graph}, {failing} failing, {workers} workers"
            started = [node for kind, node in journal.events if kind == "start"]
            assert sorted(ran) == sorted(started), where  # a result for each job that ran
            assert list(ran) == [n for n in NODES if n in ran], where  # in the given order
            assert journal.most_active <= workers, where
            for node in started:  # started only after all it depends on ended, successfully
                for upstream in graph[node]:
                    assert upstream in ran and ran[upstream] == "ok", where
                    assert journal.at("end", upstream) < journal.at("start", node), where
            if failing is None:
                assert set(ran) == set(NODES), where
            else:
                assert ran[failing] == "failed", where  # the one failure always runs
                assert not _downstream(graph, failing) & set(ran), where
            if failing and workers == 1:  # one at a time: nothing starts after the failure
                assert started[-1] == failing, where


def test_independent_jobs_run_at_the_same_time() -> None:
    """b waits until a has started (and a until b): one at a time, this would time out."""
    seen = {node: threading.Event() for node in "ab"}

    def job(node: str) -> bool:
        seen[node].set()
        other = "b" if node == "a" else "a"
        return seen[other].wait(timeout=30)

    ran = run_in_dependency_order(("a", "b"), {}, job, workers=2, stop_when=lambda ok: not ok)
    assert ran == {"a": True, "b": True}


def test_a_job_that_raises_stops_the_run_and_its_error_is_raised() -> None:
    started: list[str] = []

    def job(node: str) -> str:
        started.append(node)
        if node == "a":
            raise OSError("disk full")
        return node

    with pytest.raises(OSError, match="disk full"):
        run_in_dependency_order(("a", "b"), {"b": {"a"}}, job, workers=2, stop_when=lambda r: False)
    assert started == ["a"]


def test_a_cycle_and_no_workers_are_clear_errors() -> None:
    with pytest.raises(ScheduleError, match="in a circle"):
        run_in_dependency_order(
            ("a", "b"), {"a": {"b"}, "b": {"a"}}, str, workers=2, stop_when=lambda r: False
        )
    with pytest.raises(ScheduleError, match="parallelism must be 1 or more, not 0"):
        run_in_dependency_order(("a",), {}, str, workers=0, stop_when=lambda r: False)
