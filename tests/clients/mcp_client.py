#!/usr/bin/env python3
"""A real MCP client (the official `mcp` Python SDK) against Braid over streamable HTTP.

Usage: mcp_client.py http://127.0.0.1:PORT/mcp [API_KEY]

Lists the tools, asks knowledge_query "Which countries border Kenya?", checks the five
neighbours are in the answer, checks a bad call is a tool error (isError) and not a protocol
failure, and reads the status resource. Exits non-zero on any failure.
"""
import asyncio
import contextlib
import json
import sys

from mcp import ClientSession

TOOLS = {"knowledge_query", "graph_neighbors", "graph_path", "vector_search", "web_search",
         "add_document", "add_entity", "add_relation"}
NEIGHBOURS = ["Ethiopia", "Somalia", "South Sudan", "Tanzania", "Uganda"]


def get(obj, snake, camel):
    """A field by its mcp 2.x (snake_case) or 1.x (camelCase) name."""
    return getattr(obj, snake, getattr(obj, camel, None))


@contextlib.asynccontextmanager
async def connect(url, headers):
    """(read, write) streams of a streamable-HTTP transport, for mcp 2.x or 1.x."""
    try:
        from mcp.client.streamable_http import streamable_http_client
        from mcp.shared._httpx_utils import create_mcp_http_client
    except ImportError:  # mcp 1.x
        from mcp.client.streamable_http import streamablehttp_client
        async with streamablehttp_client(url, headers=headers) as (read, write, _):
            yield read, write
        return
    async with create_mcp_http_client(headers=headers) as client:
        async with streamable_http_client(url, http_client=client) as (read, write):
            yield read, write


def text_of(result):
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


async def main(url, key):
    headers = {"Authorization": f"Bearer {key}"} if key else None
    async with connect(url, headers) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            info = get(init, "server_info", "serverInfo")
            assert info.name == "braid", info
            tools = await session.list_tools()
            names = {t.name for t in tools.tools}
            assert TOOLS <= names, f"missing tools: {sorted(TOOLS - names)}"
            for t in tools.tools:
                assert get(t, "input_schema", "inputSchema").get("type") == "object", t.name

            answer = await session.call_tool("knowledge_query", {"query": "Which countries border Kenya?"})
            assert not get(answer, "is_error", "isError"), text_of(answer)
            body = json.loads(text_of(answer))
            titles = json.dumps(body["results"])
            missing = [c for c in NEIGHBOURS if c not in titles]
            assert not missing, f"knowledge_query lacks {missing}"
            assert body["plan"]["primary"] == "graph", body["plan"]

            bad = await session.call_tool("graph_neighbors", {"id": "country:NOWHERE"})
            assert get(bad, "is_error", "isError"), "an unknown id must be a tool error"
            bad = await session.call_tool("graph_neighbors", {"id": "country:KEN", "depth": "deep"})
            assert get(bad, "is_error", "isError") and '"field":"depth"' in text_of(bad), text_of(bad)

            status = await session.read_resource("braid://status")
            counts = json.loads(status.contents[0].text)["counts"]
            assert counts["entities"] > 0, counts
    print(f"mcp python client ok: {len(names)} tools, Kenya's neighbours found, tool errors flagged")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    asyncio.run(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None))
