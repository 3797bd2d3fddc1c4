"""Training data for the encoders, cut from ground3d datasets (read through ``perception.dataset``)."""

from pointnet.data.object_clouds import ObjectCloud, ObjectCloudSet, load_object_clouds, normalise_object
from pointnet.data.scene_clouds import SceneCloud, load_scene_clouds

__all__ = ["ObjectCloud", "ObjectCloudSet", "SceneCloud", "load_object_clouds", "load_scene_clouds",
           "normalise_object"]
