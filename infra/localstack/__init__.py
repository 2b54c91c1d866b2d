"""The local processes the embedded demo needs besides the API, started and stopped together."""
