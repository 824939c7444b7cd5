"""The map's data without Qt: the model of markers and village outlines, and the offline basemap
tile cache."""
