"""The reposix conformance kit: ``pytest --reposix-contract``."""
