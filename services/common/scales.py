"""Assessment scales: what a result may be, and what counts as a pass."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    """A declared assessment scale."""

    name: str
    lowest: float
    highest: float
    pass_mark: float
    description: str
    step: float | None = None
    """The smallest difference between two results (half points, pass or fail); None: any value."""

    def contains(self, result: float) -> bool:
        if not self.lowest <= result <= self.highest:
            return False
        return self.step is None or float((result - self.lowest) / self.step).is_integer()

    def passes(self, result: float) -> bool:
        return result >= self.pass_mark


SCALES: dict[str, Scale] = {
    s.name: s
    for s in (
        Scale("five-point", 1, 5, 3, "1 (not yet) to 5 (excellent) in half points; 3 and above passes", 0.5),
        Scale("percent", 0, 100, 60, "0 to 100; 60 and above passes"),
        Scale("pass-fail", 0, 1, 1, "1 passes, 0 does not", 1),
    )
}
