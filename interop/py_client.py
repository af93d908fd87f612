"""The official Python SDK client against a server, printing one JSON summary line.

usage: python py_client.py stdio <mode> <command> [args...]
       python py_client.py http <mode> <url> [bearer-token]
<mode> is "auto" (probe with server/discover, fall back to initialize) or "legacy".
"""

import json
import sys

import anyio
from mcp import Client, StdioServerParameters


def dump(result):
    return json.loads(result.model_dump_json(by_alias=True, exclude_none=True))


async def main():
    kind, mode, *rest = sys.argv[1:]
    if kind == "stdio":
        target = StdioServerParameters(command=rest[0], args=rest[1:])
        kwargs = {}
    else:
        from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

        headers = {"Authorization": f"Bearer {rest[1]}"} if len(rest) > 1 else None
        target = streamable_http_client(rest[0], http_client=create_mcp_http_client(headers=headers))
        kwargs = {}
    summary = {}
    async with Client(target, mode=mode, **kwargs) as client:
        session = client.session
        summary["protocolVersion"] = getattr(session, "protocol_version", None) or getattr(client, "protocol_version", None)
        tools = await client.list_tools()
        summary["tools"] = [t.name for t in tools.tools]
        summary["lookup"] = dump(await client.call_tool("get_order_status", {"order_id": "TN-1001"}))
        try:
            summary["cancel"] = dump(await client.call_tool("cancel_order", {"order_id": "TN-1002", "reason": "changed mind"}))
        except Exception as e:  # the policy's refusal arrives as a protocol error
            summary["cancelError"] = {"type": type(e).__name__, "message": str(e), "code": getattr(getattr(e, "error", None), "code", None)}
    print(json.dumps(summary))


anyio.run(main)
