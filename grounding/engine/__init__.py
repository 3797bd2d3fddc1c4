"""Serving: the SceneQueryEngine, its result types, ambiguity questions and caches."""

from grounding.engine.clarify import ClarifyingQuestion, clarifying_question
from grounding.engine.engine import EngineConfig, EngineStats, SceneQueryEngine, resolve_checkpoint
from grounding.engine.errors import CheckpointError, GroundingError, NoSceneError, QueryError, SceneInputError
from grounding.engine.facts import ObjectFacts, facts_from_proposals
from grounding.engine.query import MAX_QUERY_CHARS, validate_query
from grounding.engine.results import (
    RESULT_SCHEMA_VERSION,
    Anchor,
    AnswerResult,
    Candidate,
    Evidence,
    GroundingResult,
)

__all__ = [
    "MAX_QUERY_CHARS",
    "RESULT_SCHEMA_VERSION",
    "Anchor",
    "AnswerResult",
    "Candidate",
    "CheckpointError",
    "ClarifyingQuestion",
    "EngineConfig",
    "EngineStats",
    "Evidence",
    "GroundingError",
    "GroundingResult",
    "NoSceneError",
    "ObjectFacts",
    "QueryError",
    "SceneInputError",
    "SceneQueryEngine",
    "clarifying_question",
    "facts_from_proposals",
    "resolve_checkpoint",
    "validate_query",
]
