"""One module per benchmark case; each exposes ``run(settings, server) -> list[Section]``."""
