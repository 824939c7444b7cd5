"""Sign-in, the session as Qt signals, the idle lock."""
