"""OpenAPI pieces shared by the routes of the agents' daily tools (``canned_routes``,
``labels_routes``, ``search_routes``): each module documents its own paths with :func:`doc`, and
``bot.workspace.openapi`` merges them into ``PATHS``. Kept apart from ``openapi`` itself, which
imports the route modules."""

from __future__ import annotations

from typing import Any

ERR: dict[str, Any] = {"$ref": "#/components/responses/Error"}
TICKET_ID: dict[str, Any] = {
    "name": "tid", "in": "path", "required": True, "description": "Ticket id, e.g. `T-000042`.",
    "schema": {"type": "string", "pattern": "^T-[0-9]{6,12}$"},
}


def path_param(name: str, description: str, pattern: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if pattern:
        schema["pattern"] = pattern
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": schema}


def query_param(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema}


def doc(summary: str, permission: str, schema: dict[str, Any], *,
        body: dict[str, Any] | None = None, params: list[dict[str, Any]] | None = None,
        codes: tuple[str, ...] = (), status: str = "200", description: str = "") -> dict[str, Any]:
    """One operation: its summary, permission (``x-permission``, checked by a test against the
    route's ``requires``), the success response's schema, body, parameters and error codes."""
    op: dict[str, Any] = {
        "summary": summary,
        "description": (description + f"\n\nPermission: `{permission}`.").strip(),
        "x-permission": permission,
        "responses": {status: {"description": "OK", "content": {"application/json": {
            "schema": schema}}}, "401": ERR, "403": ERR, **{c: ERR for c in codes}},
    }
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": body}}}
    return op
