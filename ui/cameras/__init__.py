"""The camera wall panel and its operations (PTZ controls, evidence, adding cameras)."""
