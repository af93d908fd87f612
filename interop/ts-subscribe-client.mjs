// The official TypeScript SDK client following changes on a 2025-11-25 HTTP session of the
// conformance fixture server: it subscribes to a resource, has the server announce an update
// and a tool-list change (through the fixture's trigger tools), and prints one JSON summary
// line with the notifications its handlers received.
// usage: node ts-subscribe-client.mjs <url>
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";

const url = process.argv[2];
const transport = new StreamableHTTPClientTransport(new URL(url));
const client = new Client({ name: "ts-sdk-subscriber", version: "1.0.0" }, { capabilities: {} });
const updated = [];
let toolsChanged = 0;
client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => updated.push(n.params.uri));
client.setNotificationHandler(ToolListChangedNotificationSchema, () => { toolsChanged += 1; });
await client.connect(transport);

const summary = { capabilities: client.getServerCapabilities() };
summary.subscribe = await client.subscribeResource({ uri: "test://watched-resource" });

// The SDK opens the session's GET stream on its own, shortly after connecting: trigger until
// the notification arrives (changes published while no stream is open are not queued).
async function until(done, trigger) {
  const deadline = Date.now() + 10000;
  while (!done() && Date.now() < deadline) {
    await client.callTool({ name: trigger, arguments: {} });
    await new Promise((r) => setTimeout(r, 200));
  }
}
await until(() => updated.length > 0, "test_trigger_resource_update");
await until(() => toolsChanged > 0, "test_trigger_tool_change");
summary.updated = [...new Set(updated)];
summary.toolsChanged = toolsChanged > 0;

// After unsubscribing, updates stop; a tool-list change still arrives.
await client.unsubscribeResource({ uri: "test://watched-resource" });
const before = updated.length;
const changesBefore = toolsChanged;
await client.callTool({ name: "test_trigger_resource_update", arguments: {} });
await until(() => toolsChanged > changesBefore, "test_trigger_tool_change");
summary.updatesAfterUnsubscribe = updated.length - before;
await client.close();
console.log(JSON.stringify(summary));
