"""One window per screen, and presentation mode for the large displays."""
