"""Schema post-processing: the error answers every endpoint can give, documented once."""

ERROR_SCHEMA = {
    "type": "object",
    "description": "What was wrong: `detail`, or the offending parameters with their messages.",
    "additionalProperties": True,
}
COMMON_ERRORS = {
    "400": "Bad request: a parameter or the body could not be read.",
    "401": "No valid token or session.",
    "403": "Your role may not do this.",
    "404": "Not found, or not yours to see (also: a page past the end).",
    "415": "The body is not JSON.",
}


def add_common_errors(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code, description in COMMON_ERRORS.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                )
    return result
