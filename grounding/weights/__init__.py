"""The shipped grounding checkpoint: model.safetensors and config.json (see README.md here)."""
