"""The sensor dashboard and the graph view."""
