"""mockoci's key registry API, under /_mockoci/keys: the public keys `--auth verify` accepts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from .. import errors
from ..keys import InvalidKey, KeyRegistry

router = APIRouter(prefix="/_mockoci/keys", tags=["mockoci admin"])
PEM_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/x-pem-file": {"schema": {"type": "string"}}},
        "description": "An RSA public key in PEM form (`openssl rsa -pubout`).",
    }
}


class KeyBinding(BaseModel):
    tenancy: str | None
    user: str | None


class RegisteredKeyOut(BaseModel):
    fingerprint: str
    bindings: list[KeyBinding]


def _registry(request: Request) -> KeyRegistry:
    registry: KeyRegistry = request.app.state.keys
    return registry


@router.post("", status_code=201, openapi_extra=PEM_BODY)
async def register_key(
    request: Request,
    tenancy: Annotated[str | None, Query(description="Accept the key only for this tenancy OCID.")] = None,
    user: Annotated[str | None, Query(description="Accept the key only for this user OCID.")] = None,
) -> RegisteredKeyOut:
    """Registers a public key (the PEM body) for signature verification; answers with its fingerprint."""
    registry = _registry(request)
    try:
        fingerprint = registry.register_pem(await request.body(), tenancy=tenancy, user=user)
    except InvalidKey as exc:
        raise errors.InvalidParameter(f"Invalid public key: {exc}.") from exc
    return RegisteredKeyOut(fingerprint=fingerprint, bindings=[KeyBinding(tenancy=tenancy, user=user)])


@router.get("")
async def list_keys(request: Request) -> list[RegisteredKeyOut]:
    """Lists the registered keys and whom each signs for (`null`: any tenancy or user)."""
    return [
        RegisteredKeyOut(
            fingerprint=key.fingerprint,
            bindings=[
                KeyBinding(tenancy=b.tenancy, user=b.user)
                for b in sorted(key.bindings, key=lambda b: (b.tenancy or "", b.user or ""))
            ],
        )
        for key in _registry(request).registered()
    ]
