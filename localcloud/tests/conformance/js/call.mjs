// One AWS SDK for JavaScript v3 call, as a user's script would make it: the client built with its
// defaults (region, credentials and AWS_ENDPOINT_URL from the environment), one command sent.
//
//   node call.mjs SERVICE COMMAND [INPUT_JSON]     e.g. node call.mjs sqs SendMessage '{"QueueUrl": ...}'
//
// SERVICE is the package suffix (@aws-sdk/client-SERVICE), COMMAND the command without "Command".
// Binary members are written {"$base64": "..."} in INPUT_JSON and come back so in the output.
// Prints {"output": ...} (without $metadata) and exits 0, or {"error": {...}} and exits 1.

const [service, command, input = "{}"] = process.argv.slice(2);

const fromJson = (_key, value) =>
  value && typeof value === "object" && typeof value.$base64 === "string"
    ? Buffer.from(value.$base64, "base64")
    : value;

const toJson = (_key, value) =>
  value instanceof Uint8Array ? { $base64: Buffer.from(value).toString("base64") } : value;

const sdk = await import(`@aws-sdk/client-${service}`);
const clientName = Object.keys(sdk).find((name) => name.endsWith("Client") && !name.startsWith("_"));
const Command = sdk[`${command}Command`];
if (!clientName || !Command) {
  console.log(JSON.stringify({ error: { name: "UsageError", message: `no ${service} ${command}` } }));
  process.exit(2);
}
const client = new sdk[clientName]({});
try {
  const { $metadata, ...output } = await client.send(new Command(JSON.parse(input, fromJson)));
  console.log(JSON.stringify({ output }, toJson));
} catch (error) {
  const { name, message, code, $metadata } = error;
  console.log(JSON.stringify({ error: { name, message, code, status: $metadata?.httpStatusCode } }));
  process.exitCode = 1;
} finally {
  client.destroy();
}
