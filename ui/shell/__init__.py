"""The application shell: start-up, the main window and its panels, the bridge from the core,
the navigator between panels, the status bar, themes."""
