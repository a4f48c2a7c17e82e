"""A local emulator of LINE's channel access token API (work in progress)."""
