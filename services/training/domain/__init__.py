"""The training context's domain: competency catalogues, and each student's plans, logbook and assessments."""

from services.common.scales import SCALES, Scale
from services.training.domain.catalogue import CHANGES, ChangeRequest, Competency, CompetencyCatalogue, catalogue_id
from services.training.domain.placement_facts import PlacementFacts
from services.training.domain.record import Capacity, Entry, Practice, TrainingRecord, training_record_id

__all__ = [
    "CHANGES", "SCALES", "Capacity", "ChangeRequest", "Competency", "CompetencyCatalogue", "Entry", "PlacementFacts",
    "Practice", "Scale", "TrainingRecord", "catalogue_id", "training_record_id",
]
