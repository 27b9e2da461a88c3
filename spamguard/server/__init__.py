"""The reference chat server: the seed's consumer API with spamguard embedded.

An optional extra (``pip install "spamguard[server]"``): Starlette and uvicorn serve the
chat API's ``requestEngagement`` and ``postMessage`` operations, an agent side and the
conversation stream, and every posted message goes through `Engine.acheck` first. It shows
how a chat server wires verdicts: allow delivers the post, block replaces it with a system
message in the stream, terminate posts termination notices, concludes the engagement and
answers 409. See docs/server.md.

    from spamguard.server import ServerSettings, create_app
    app = create_app(ServerSettings(jwt_secret="..."))
"""

from spamguard.server.app import create_app
from spamguard.server.settings import ServerSettings

__all__ = ["ServerSettings", "create_app"]
