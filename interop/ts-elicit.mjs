// The official TypeScript SDK client answering TechNova's questions about a cancel, as a person
// would in the client's form. Prints one line per question ("asked: ...") and one JSON summary.
// usage: node ts-elicit.mjs <answer> <order> stdio <command> [args...]
//        node ts-elicit.mjs <answer> <order> http <url> <bearer-token>
// <answer> is "approve" (approve, confirm, give a reason) or "decline" (decline every question).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const REASON = "customer found a better price";
const [answer, order, mode, ...rest] = process.argv.slice(2);
let transport;
if (mode === "stdio") {
  // The server gets this environment (its order book, its log settings) as is.
  transport = new StdioClientTransport({ command: rest[0], args: rest.slice(1), env: process.env, stderr: "inherit" });
} else if (mode === "http") {
  const headers = { Authorization: `Bearer ${rest[1]}` };
  transport = new StreamableHTTPClientTransport(new URL(rest[0]), { requestInit: { headers } });
} else {
  console.error("usage: ts-elicit.mjs <answer> <order> stdio <command> [args...] | http <url> <token>");
  process.exit(2);
}

const client = new Client({ name: "ts-sdk-elicit", version: "1.0.0" }, { capabilities: { elicitation: { form: {} } } });
const asked = [];
client.setRequestHandler(ElicitRequestSchema, async (request) => {
  const { message, requestedSchema } = request.params;
  const fields = Object.keys(requestedSchema?.properties ?? {}).sort();
  asked.push({ message, fields });
  console.log(`asked: ${message} fields=${JSON.stringify(fields)}`);
  if (answer !== "approve") {
    console.log("answered: decline");
    return { action: "decline" };
  }
  const content = {};
  if (fields.includes("approve")) content.approve = true;
  if (fields.includes("confirm")) content.confirm = true;
  if (fields.includes("reason")) content.reason = REASON;
  console.log(`answered: accept ${JSON.stringify(content)}`);
  return { action: "accept", content };
});

await client.connect(transport);
const summary = { server: client.getServerVersion()?.name ?? null };
try {
  summary.cancel = await client.callTool({ name: "cancel_order", arguments: { order_id: order, reason: "changed mind" } });
} catch (e) {
  summary.cancelError = { code: e.code, message: e.message };
}
const after = await client.callTool({ name: "get_order_status", arguments: { order_id: order } });
summary.statusAfter = after.structuredContent?.status ?? null;
summary.asked = asked;
await client.close();
console.log(JSON.stringify(summary));
