"""What /metrics shows for one process: the counters it keeps (bot.metrics), and the figures that only the database
knows (jobs in flight, Slack writes due, approvals waiting, poll lag), read at each scrape so every replica reports
the same."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from bot import metrics
from storage import health_reads
from storage.clock import utcnow
from storage.db import Database

log = logging.getLogger(__name__)


class _WithoutTeams(Collector):
    """An in-memory metric as /metrics shows it: without the team_id label (and so summed over it) unless per
    workspace."""

    def __init__(self, metric: Collector, *, per_workspace: bool) -> None:
        self._metric = metric
        self._per_workspace = per_workspace

    def collect(self) -> Iterable[Metric]:
        for family in self._metric.collect():
            yield family if self._per_workspace else _summed_over_teams(family)


def _summed_over_teams(family: Metric) -> Metric:
    summed: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for sample in family.samples:
        if sample.name.endswith("_created"):
            continue  # when a series began means nothing once series are summed
        labels = tuple((name, value) for name, value in sample.labels.items() if name != metrics.TEAM)
        summed[(sample.name, labels)] = summed.get((sample.name, labels), 0.0) + sample.value
    merged = Metric(family.name, family.documentation, family.type, family.unit)
    for (name, labels), value in summed.items():
        merged.add_sample(name, dict(labels), value)
    return merged


class DatabaseFigures(Collector):
    """The figures only the database knows, read at scrape time: the same from every replica."""

    def __init__(self, *, db: Database, per_workspace: bool, clock: Callable[[], datetime] = utcnow) -> None:
        self._db = db
        self._per_workspace = per_workspace
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        now = self._clock()
        try:
            figures = health_reads.figures(self._db, now=now, by_team=self._per_workspace)
        except Exception as exc:  # a scrape must still show the in-memory metrics
            log.warning("metrics: could not read the database's figures: %s", exc.__class__.__name__)
            return
        teams = [metrics.TEAM] if self._per_workspace else []
        in_flight = GaugeMetricFamily(
            "leadmover_jobs_in_flight", "Jobs not yet over, by leadmover's phase", labels=["phase", *teams]
        )
        if self._per_workspace:
            for (phase, team_id), count in sorted(figures.in_flight.items()):
                in_flight.add_metric([phase, team_id], count)
        else:
            for phase in health_reads.IN_FLIGHT:
                in_flight.add_metric([phase.value], figures.in_flight.get((phase.value, ""), 0))
        yield in_flight
        due = GaugeMetricFamily("leadmover_outbox_due", "Slack writes due now, by kind", labels=["kind", *teams])
        for (kind, team_id), count in sorted(figures.outbox_due.items()):
            due.add_metric([kind, team_id][: len(teams) + 1], count)
        yield due
        yield self._ages(
            "leadmover_outbox_oldest_due_seconds",
            "How long the oldest Slack write that is due has waited (0 when none is due)",
            figures.oldest_due,
            now=now,
        )
        yield self._ages(
            "leadmover_poll_lag_seconds",
            "How long past its poll time the most overdue running job is (0 when none is overdue)",
            figures.poll_due_since,
            now=now,
        )
        waiting = GaugeMetricFamily(
            "leadmover_approvals_waiting", "Requests for approval not yet decided", labels=teams
        )
        for team_id, count in sorted(figures.approvals_waiting.items()):
            waiting.add_metric([team_id][: len(teams)], count)
        if not figures.approvals_waiting and not self._per_workspace:
            waiting.add_metric([], 0)
        yield waiting

    def _ages(self, name: str, documentation: str, since: dict[str, datetime], *, now: datetime) -> Metric:
        gauge = GaugeMetricFamily(name, documentation, labels=[metrics.TEAM] if self._per_workspace else [])
        for team_id, moment in sorted(since.items()):
            gauge.add_metric([team_id] if self._per_workspace else [], max(0.0, (now - moment).total_seconds()))
        if not since and not self._per_workspace:
            gauge.add_metric([], 0.0)
        return gauge


def registry(*, db: Database, per_workspace: bool) -> CollectorRegistry:
    """What this process's /metrics shows: its own counters, and the database's figures."""
    shown = CollectorRegistry(auto_describe=False)
    for metric in metrics.IN_MEMORY:
        shown.register(_WithoutTeams(metric, per_workspace=per_workspace))
    shown.register(DatabaseFigures(db=db, per_workspace=per_workspace))
    return shown
