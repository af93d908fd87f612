// The official TypeScript SDK client against a server, printing one JSON summary line.
// usage: node ts-client.mjs stdio <command> [args...]
//        node ts-client.mjs http <url> [bearer-token]
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [mode, ...rest] = process.argv.slice(2);
let transport;
if (mode === "stdio") {
  transport = new StdioClientTransport({ command: rest[0], args: rest.slice(1), stderr: "ignore" });
} else if (mode === "http") {
  const headers = rest[1] ? { Authorization: `Bearer ${rest[1]}` } : {};
  transport = new StreamableHTTPClientTransport(new URL(rest[0]), { requestInit: { headers } });
} else {
  console.error("usage: ts-client.mjs stdio <command> [args...] | http <url> [token]");
  process.exit(2);
}

const client = new Client({ name: "ts-sdk-e2e", version: "1.0.0" }, { capabilities: {} });
await client.connect(transport);
const summary = {
  server: client.getServerVersion(),
  protocolVersion: transport.protocolVersion ?? null,
};
const { tools } = await client.listTools();
summary.tools = tools.map((t) => t.name);
const progress = [];
summary.lookup = await client.callTool({ name: "get_order_status", arguments: { order_id: "TN-1001" } });
summary.report = await client.callTool(
  { name: "export_orders_report", arguments: { step_ms: 5 } },
  undefined,
  { onprogress: (p) => progress.push(p.progress) },
);
summary.progress = progress;
try {
  summary.cancel = await client.callTool({ name: "cancel_order", arguments: { order_id: "TN-1002", reason: "customer changed mind" } });
} catch (e) {
  summary.cancelError = { code: e.code, message: e.message };
}
await client.close();
console.log(JSON.stringify(summary));
