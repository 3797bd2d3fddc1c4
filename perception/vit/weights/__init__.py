"""The shipped camera ViT (a transformers ViT directory plus category/colour heads), trained on sim crops.

Reproduce: ``ground3d sim --out /tmp/g3d-data/sim1000 --scenes 1000 --seed 0 --views 3``, then
``OMP_NUM_THREADS=1 python -m perception.vit.train --data /tmp/g3d-data/sim1000 --out perception/vit/weights
--epochs 50 --seed 0 --cache /tmp/vit-crops1000``. ``metrics.json`` holds the val and held-out test figures of
this copy.
"""
