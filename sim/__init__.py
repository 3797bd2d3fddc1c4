"""sim: procedural scenes, a virtual RGB-D camera and LiDAR, referring expressions, questions, datasets and bags."""
