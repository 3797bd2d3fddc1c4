"""Evaluation of grounding, QA and retrieval on a dataset split, and latency measurement."""
