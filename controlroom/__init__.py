"""Commune control room: the core (no Qt). See DESIGN: ui -> widgets -> controlroom."""

__version__ = "0.1.0"
