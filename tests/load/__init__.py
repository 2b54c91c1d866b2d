"""Load tests: Locust conversations against the whole local stack, with a verdict."""
