"""The map panel."""
