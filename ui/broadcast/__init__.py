"""The broadcast panel, the compose dialog, the programme editor, the microphone recorder."""
