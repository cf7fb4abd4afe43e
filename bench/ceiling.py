"""The ceilings: servers on mockoci's stack that answer every request with one fixed response.

`python bench/ceiling.py fastapi|asgi RESPONSE.json` prints its port, then serves until killed.
RESPONSE.json holds the body and headers of a real mockoci GetVolumeBackup response, so both ceilings
send the same bytes with the same headers as mockoci. A PUT reads its whole body first, as any handler must.
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


def asgi_app(body: bytes, headers: dict[str, str]) -> Any:
    raw_headers = [(k.encode(), v.encode()) for k, v in headers.items()]
    raw_headers.append((b"content-length", str(len(body)).encode()))
    start = {"type": "http.response.start", "status": 200, "headers": raw_headers}
    message = {"type": "http.response.body", "body": body}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        await send(start)
        await send(message)

    return app


def main() -> None:
    kind, response_path = sys.argv[1], sys.argv[2]
    with open(response_path) as file:
        response = json.load(file)
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
