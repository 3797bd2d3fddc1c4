"""Language from scene ground truth: referring expressions (refer.json) and questions (qa.json).

Entry points: ``generate_expressions`` and ``generate_questions``. The spatial relations they rest on are
defined, with their frames, units and margins, in ``sim.language.relations``.
"""

from sim.language.config import LanguageConfig
from sim.language.errors import LanguageConfigError, LanguageError
from sim.language.expressions import generate_expressions
from sim.language.program import Program, Resolution, resolve
from sim.language.questions import QUESTION_TYPES, generate_questions
from sim.language.relations import RelationConfig

__all__ = [
    "QUESTION_TYPES",
    "LanguageConfig",
    "LanguageConfigError",
    "LanguageError",
    "Program",
    "RelationConfig",
    "Resolution",
    "generate_expressions",
    "generate_questions",
    "resolve",
]
