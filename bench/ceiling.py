"""The ceilings: servers on mockoci's stack that answer requests with responses fixed in advance.

`python bench/ceiling.py fastapi|asgi|replay RESPONSES.json` prints its port, then serves until killed.
For `fastapi` and `asgi`, RESPONSES.json holds the body and headers of a real mockoci GetVolumeBackup
response, sent to every request, so both ceilings send the same bytes with the same headers as mockoci.
For `replay` (bench/sdk_calls.py), it maps a route (`route(method, path)`: "GET /20160918/volumeBackups/{id}")
to the status, headers and body mockoci answered a call of it with; the replay answers each call with those
bytes, whatever the id, and 404 to a route it has none for. A request's body is read whole before the answer
(FastAPI's GET route has none to read), as any handler must. uvicorn adds `date` and `server` to each
response, as it does to mockoci's.
"""

from __future__ import annotations

import json
import socket
import sys
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from starlette.responses import Response


def fastapi_app(body: bytes, headers: dict[str, str]) -> Any:
    app = FastAPI()

    @app.get("/20160918/volumeBackups/{volume_backup_id}")
    async def get(volume_backup_id: str) -> Response:
        return Response(body, headers=headers)

    @app.put("/20160918/volumeBackups/{volume_backup_id}")
    async def put(volume_backup_id: str, request: Request) -> Response:
        await request.body()
        return Response(body, headers=headers)

    return app


async def read_body(receive: Any) -> None:
    """Read (and drop) the request's body, as a server that answers after reading it."""
    more = True
    while more:
        more = (await receive()).get("more_body", False)


def asgi_app(body: bytes, headers: dict[str, str]) -> Any:
    raw_headers = [(k.encode(), v.encode()) for k, v in headers.items()]
    raw_headers.append((b"content-length", str(len(body)).encode()))
    start = {"type": "http.response.start", "status": 200, "headers": raw_headers}
    message = {"type": "http.response.body", "body": body}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await read_body(receive)
        await send(start)
        await send(message)

    return app


def route(method: str, path: str) -> str:
    """The operation a request is for: its method and its path with the resource id (if any) as `{id}`."""
    parts = path.rstrip("/").split("/")
    if len(parts) > 3:
        parts[3:] = ["{id}"]
    return f"{method} {'/'.join(parts)}"


def replay_app(responses: dict[str, dict[str, Any]]) -> Any:
    """Answers each route with its recorded response: {"status": int, "headers": [[name, value]...], "body"}."""
    messages = {
        key: (
            {
                "type": "http.response.start",
                "status": response["status"],
                "headers": [(k.encode(), v.encode()) for k, v in response["headers"]],
            },
            {"type": "http.response.body", "body": response["body"].encode()},
        )
        for key, response in responses.items()
    }
    missing = (
        {"type": "http.response.start", "status": 404, "headers": [(b"content-length", b"0")]},
        {"type": "http.response.body", "body": b""},
    )

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await read_body(receive)
        start, message = messages.get(route(scope["method"], scope["path"]), missing)
        await send(start)
        await send(message)

    return app


def main() -> None:
    kind, response_path = sys.argv[1], sys.argv[2]
    with open(response_path) as file:
        response = json.load(file)
    if kind == "replay":
        app = replay_app(response)
    else:
        body, headers = response["body"].encode(), response["headers"]
        app = fastapi_app(body, headers) if kind == "fastapi" else asgi_app(body, headers)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    # The uvicorn settings of `mockoci serve` (loop and http "auto": uvloop and httptools when installed).
    config = uvicorn.Config(app, log_level="warning", lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
