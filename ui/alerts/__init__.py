"""The alert queue panel and its dialogs."""
