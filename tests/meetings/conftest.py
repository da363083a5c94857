"""The meeting pages are read by the dashboards' people, over the dashboards' negotiations."""

from tests.dashboards.conftest import negotiations, official, outsider

__all__ = ["negotiations", "official", "outsider"]
