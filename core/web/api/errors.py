"""One error shape for the whole API: ``{"errors": [{path, code, message}]}``."""
from __future__ import annotations

from flask import Response, jsonify
from marshmallow import ValidationError

from ...errors import Violation


def error_response(status: int, violations: list[Violation], **extra: object) -> tuple[Response, int]:
    body = {"errors": [v.as_dict() for v in violations], **extra}
    return jsonify(body), status


def marshmallow_violations(error: ValidationError) -> list[Violation]:
    """Flatten marshmallow's nested messages into violations with JSON pointers."""
    found: list[Violation] = []

    def walk(messages: object, path: str) -> None:
        if isinstance(messages, dict):
            for key, value in messages.items():
                walk(value, f"{path}/{key}" if key != "_schema" else path)
        elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
            for message in messages:
                code = "unknown_field" if message == "Unknown field." else (
                    "required" if "required" in message.lower() else "invalid")
                if code == "unknown_field":
                    message = "This field cannot be set here."
                found.append(Violation(path, code, message))
        elif isinstance(messages, list):
            for index, value in enumerate(messages):
                walk(value, f"{path}/{index}")
        else:
            found.append(Violation(path, "invalid", str(messages)))

    walk(error.messages, "")
    return found
