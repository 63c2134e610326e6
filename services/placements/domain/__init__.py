"""The placements context's domain: enterprises and centres, schools, students and their placements."""

from services.placements.domain.enterprise import Enterprise, HostCentre, TrainingCentre
from services.placements.domain.placement import Placement
from services.placements.domain.school import School
from services.placements.domain.student import Student

__all__ = ["Enterprise", "HostCentre", "Placement", "School", "Student", "TrainingCentre"]
