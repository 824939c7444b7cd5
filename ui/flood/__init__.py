"""The flood duty panel and flood mode."""
