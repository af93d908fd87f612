"""The official Python SDK client answering TechNova's questions about a cancel, as a person
would through the client's form: the approval the policy requires, then the confirmation and
reason the tool asks. Prints one line per question ("asked: ...") and one JSON summary line.

usage: python py_elicit.py stdio <mode> <answer> <order> <command> [args...]
       python py_elicit.py http <mode> <answer> <order> <url> <bearer-token>
<mode> is "auto" (2026-07-28 when the server offers it) or "legacy" (initialize handshake).
<answer> is "approve" (approve, confirm, give a reason) or "decline" (decline every question).
"""

import json
import os
import sys

import anyio
import mcp.types as types
from mcp import Client, StdioServerParameters

REASON = "customer found a better price"


def dump(result):
    return json.loads(result.model_dump_json(by_alias=True, exclude_none=True))


async def main():
    kind, mode, answer, order, *rest = sys.argv[1:]
    if kind == "stdio":
        # The server gets this environment (its order book, its log settings) as is.
        target = StdioServerParameters(command=rest[0], args=rest[1:], env=dict(os.environ))
    else:
        from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

        headers = {"Authorization": f"Bearer {rest[1]}"}
        target = streamable_http_client(rest[0], http_client=create_mcp_http_client(headers=headers))
    asked = []

    async def on_elicit(context, params):
        fields = sorted((params.requested_schema or {}).get("properties", {}).keys())
        asked.append({"message": params.message, "fields": fields})
        print(f"asked: {params.message} fields={fields}", flush=True)
        if answer != "approve":
            print("answered: decline", flush=True)
            return types.ElicitResult(action="decline")
        content = {}
        if "approve" in fields:
            content["approve"] = True
        if "confirm" in fields:
            content["confirm"] = True
        if "reason" in fields:
            content["reason"] = REASON
        print(f"answered: accept {json.dumps(content)}", flush=True)
        return types.ElicitResult(action="accept", content=content)

    summary = {}
    async with Client(target, mode=mode, elicitation_callback=on_elicit) as client:
        session = client.session
        summary["protocolVersion"] = getattr(session, "protocol_version", None) or getattr(client, "protocol_version", None)
        try:
            summary["cancel"] = dump(
                await client.call_tool("cancel_order", {"order_id": order, "reason": "changed mind"})
            )
        except Exception as e:  # a refusal arrives as a protocol error
            summary["cancelError"] = {"type": type(e).__name__, "message": str(e)}
        after = dump(await client.call_tool("get_order_status", {"order_id": order}))
        summary["statusAfter"] = after.get("structuredContent", {}).get("status")
    summary["asked"] = asked
    print(json.dumps(summary))


anyio.run(main)
