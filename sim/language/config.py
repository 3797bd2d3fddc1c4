"""The configuration of the language generator."""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.language.errors import LanguageConfigError
from sim.language.relations import RelationConfig


@dataclass
class LanguageConfig:
    """How many referring expressions and questions to write per scene, and the relations' margins."""

    expressions_per_object: int = 3
    """Unique referring expressions per object (each of a different relation kind when possible)."""
    absent_fraction: float = 0.08
    """Expected share of expressions that name a category/colour pair the scene lacks."""
    ambiguous_fraction: float = 0.05
    """Expected share of expressions that deliberately match several objects."""
    questions_per_object: float = 1.0
    """Questions per object in the scene (at least ``min_questions``)."""
    min_questions: int = 5
    """Fewest questions per scene."""
    relations: RelationConfig = field(default_factory=RelationConfig)
    """Thresholds and margins of the spatial relations."""

    def __post_init__(self) -> None:
        if self.expressions_per_object < 0:
            raise LanguageConfigError(
                f"LanguageConfig.expressions_per_object: expected >= 0, got {self.expressions_per_object}"
            )
        for name in ("absent_fraction", "ambiguous_fraction"):
            value = getattr(self, name)
            if not 0.0 <= value < 0.5:
                raise LanguageConfigError(f"LanguageConfig.{name}: expected in [0, 0.5), got {value}")
        if self.questions_per_object < 0:
            raise LanguageConfigError(
                f"LanguageConfig.questions_per_object: expected >= 0, got {self.questions_per_object}"
            )
        if self.min_questions < 0:
            raise LanguageConfigError(f"LanguageConfig.min_questions: expected >= 0, got {self.min_questions}")
