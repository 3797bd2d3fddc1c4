"""The shipped camera ViT (a transformers ViT directory plus category/colour heads), trained on sim crops.

Reproduce: ``ground3d sim --out /tmp/g3d-data/sim200 --scenes 200 --seed 0 --views 3``, then
``python -m perception.vit.train --data /tmp/g3d-data/sim200 --out perception/vit/weights --epochs 30 --seed 0``.
``metrics.json`` holds the held-out figures of this copy.
"""
