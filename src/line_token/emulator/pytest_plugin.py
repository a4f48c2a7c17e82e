"""pytest plugin: the ``line_emulator`` fixture (work in progress)."""
