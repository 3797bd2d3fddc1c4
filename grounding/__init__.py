"""grounding: text encoder, fusion, heads, training, evaluation and the SceneQueryEngine.

Reads datasets from disk (see DESIGN.md); never imports sim.
"""
