"""The support-desk service: the API and the agents behind it."""
