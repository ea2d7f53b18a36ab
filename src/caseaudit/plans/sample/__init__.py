"""Drawing the month's sample (issue 21): ``draw_sample`` and its result."""

from caseaudit.plans.sample.draw import SampleResult, draw_sample

__all__ = ["SampleResult", "draw_sample"]
