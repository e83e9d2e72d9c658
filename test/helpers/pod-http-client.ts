// Tests use the sandbox's pod HttpClient: a real @azure/identity credential in the test process
// sends from a chosen 127.x source address, so NMI sees a pod instead of the node.
export { podHttpClient } from "../../sandbox/pod-http-client.ts";
