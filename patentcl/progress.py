"""Progress bars for long jobs (rich), quiet when there is nothing to describe."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console, RenderableType
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn

console = Console(stderr=True)


class RateColumn(ProgressColumn):
    """Rows per second, the figure users judge a loader by."""

    def render(self, task: Task) -> RenderableType:
        speed = task.finished_speed or task.speed
        return f"{speed:,.0f}/s" if speed else ""


@contextmanager
def progress_bar(description: str | None, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """Yields `advance(n)`; shows a bar with count and rate when `description` is given."""
    if not description:
        yield lambda n: None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.advance(task, n)
