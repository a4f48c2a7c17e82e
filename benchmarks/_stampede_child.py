"""Child process of the multi-process stampede: a cold TokenManager on a shared store.

argv: store kind (``sqlite`` or ``redis``), store location (file path or URL),
Redis key prefix, base URL, channel id, channel secret. Prints ``ready``, waits
for a line on stdin, calls ``token()`` once, prints ``done``.
"""

from __future__ import annotations

import sys


def main() -> None:
    """One cold manager, one token() call when told to go."""
    kind, where, prefix, base_url, channel_id, secret = sys.argv[1:7]
    from line_token import StatelessIssuer, TokenManager
    from line_token.stores import RedisStore, SQLiteStore, TokenStore

    store: TokenStore = SQLiteStore(where) if kind == "sqlite" else RedisStore(where, prefix=prefix)
    manager = TokenManager(StatelessIssuer(channel_id, secret), store=store, base_url=base_url)
    print("ready", flush=True)
    sys.stdin.readline()
    manager.token()
    print("done", flush=True)
    sys.stdin.readline()  # stay alive (holding the store) until the parent has seen every token
    manager.close()
    store.close()


if __name__ == "__main__":
    main()
