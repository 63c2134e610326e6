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
    whole_numbers: bool = False
    """Whether only whole results exist on it (points, pass or fail)."""

    def contains(self, result: float) -> bool:
        return self.lowest <= result <= self.highest and (not self.whole_numbers or float(result).is_integer())

    def passes(self, result: float) -> bool:
        return result >= self.pass_mark


SCALES: dict[str, Scale] = {
    s.name: s
    for s in (
        Scale("five-point", 1, 5, 3, "1 (not yet) to 5 (excellent), halves allowed; 3 and above passes"),
        Scale("percent", 0, 100, 60, "0 to 100; 60 and above passes"),
        Scale("pass-fail", 0, 1, 1, "1 passes, 0 does not", True),
    )
}
