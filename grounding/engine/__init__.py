"""Serving: the SceneQueryEngine, its result types, ambiguity questions and caches."""
