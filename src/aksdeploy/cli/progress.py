"""Progress on stderr: a live table of resources in a terminal, one line per state change elsewhere (CI logs)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from aksdeploy.cli.output import stderr
from aksdeploy.core.images import LayerProgress

_STYLE = {
    "waiting": "dim",
    "checking": "cyan",
    "creating": "yellow",
    "updating": "yellow",
    "deleting": "yellow",
    "done": "green",
    "unchanged": "dim green",
    "deleted": "green",
    "failed": "bold red",
    "skipped": "red",
}
_ACTIVE = {"checking", "creating", "updating", "deleting"}


@dataclass(slots=True)
class _Row:
    label: str
    state: str
    since: float
    detail: str = ""


class ConsoleProgress:
    """A ``Progress`` for people: per-resource state with elapsed time."""

    def __init__(self, console: Console | None = None, live: bool | None = None) -> None:
        self._console = console or stderr()
        self._live_enabled = self._console.is_terminal if live is None else live
        self._lock = threading.Lock()
        self._rows: dict[str, _Row] = {}
        self._live: Live | None = None

    def __enter__(self) -> ConsoleProgress:
        if self._live_enabled:
            self._live = Live(self._table(), console=self._console, refresh_per_second=4, transient=False)
            self._live.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._live is not None:
            self._live.update(self._table())
            self._live.__exit__(kind, exc, tb)

    def _table(self) -> Table:
        table = Table(box=None, show_header=False, pad_edge=False)
        now = time.monotonic()
        for key, row in self._rows.items():
            elapsed = f"{now - row.since:5.1f}s" if row.state in _ACTIVE else ""
            table.add_row(key, row.label, f"[{_STYLE.get(row.state, '')}]{row.state}[/]", elapsed, row.detail)
        return table

    def _set(self, key: str, label: str | None, state: str, detail: str = "") -> None:
        now = time.monotonic()
        with self._lock:
            old = self._rows.get(key)
            # The clock restarts when a resource enters a new active state and stops when it leaves it.
            since = now if old is None or (state in _ACTIVE and old.state != state) else old.since
            row = _Row(label or (old.label if old else key), state, since, detail)
            self._rows[key] = row
            if self._live is not None:
                self._live.update(self._table())
            elif state != "waiting":
                finished = old is not None and old.state in _ACTIVE and state not in _ACTIVE
                timing = f" ({now - row.since:.1f}s)" if finished else ""
                suffix = f": {detail}" if detail else ""
                self._console.print(f"  {key:<24} {state}{timing}{suffix}", markup=False, highlight=False)

    def start(self, key: str, label: str, state: str) -> None:
        self._set(key, label, state)

    def finish(self, key: str, state: str, detail: str = "") -> None:
        self._set(key, None, state, detail)

    def note(self, message: str) -> None:
        self._console.print(f"  {message}", markup=False, highlight=False)


class BuildDisplay:
    """Build output as it streams: the engine's lines, dimmed, on stderr."""

    def __init__(self, console: Console | None = None) -> None:
        self._console = console or stderr()

    def __enter__(self) -> BuildDisplay:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        return None

    def line(self, text: str) -> None:
        style = "bold" if text.startswith("Step ") else "dim"
        self._console.print(text, style=style, markup=False, highlight=False)


class PushDisplay:
    """A progress bar per layer (bytes, speed) in a terminal; a line per layer outcome elsewhere."""

    def __init__(self, console: Console | None = None) -> None:
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

        self._console = console or stderr()
        self._bars = (
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                console=self._console,
            )
            if self._console.is_terminal
            else None
        )
        self._tasks: dict[str, Any] = {}
        self._last: dict[str, str] = {}

    def __enter__(self) -> PushDisplay:
        if self._bars is not None:
            self._bars.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._bars is not None:
            self._bars.__exit__(kind, exc, tb)

    def layer(self, event: LayerProgress) -> None:
        if self._bars is not None:
            task = self._tasks.get(event.layer)
            if task is None:
                task = self._tasks[event.layer] = self._bars.add_task(event.layer, total=event.total or None)
            self._bars.update(
                task,
                description=f"{event.layer} {event.status}",
                completed=event.current,
                total=event.total or None,
            )
            return
        if event.status != "Pushing" and self._last.get(event.layer) != event.status:
            self._last[event.layer] = event.status
            self._console.print(f"  {event.layer}: {event.status}", markup=False, highlight=False)
