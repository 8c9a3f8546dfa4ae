// The seeds' deathstar, shared by the HTTP-rule tests: a server that answers "METHOD URL
// PEER-ADDRESS" (the test sees who reached the workload; listen(80) is dual-stack) and the
// CiliumNetworkPolicy that lets org=empire POST /v1/request-landing on port 80.
export const PEER_ECHO_SERVER = `require("http").createServer((q, s) => { q.resume(); q.on("end", () => s.end(q.method + " " + q.url + " " + q.socket.remoteAddress.replace(/^::ffff:/, "") + "\\n")); }).listen(80);`;

/** The landing policy named `name`; `fromCidr` also admits that block to the same rule. */
export const landingPolicy = (name: string, fromCidr?: string) => `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: ${name}}
spec:
  endpointSelector: {matchLabels: {class: deathstar}}
  ingress:
  - fromEndpoints: [{matchLabels: {org: empire}}]
${fromCidr ? `    fromCIDR: [${fromCidr}]\n` : ""}    toPorts:
    - ports: [{port: "80", protocol: TCP}]
      rules: {http: [{method: POST, path: /v1/request-landing}]}
`;

/** Empire ships may GET /public/… from the deathstar by egress HTTP rules; `more` adds egress rules after it. */
export const tieOutPolicy = (more = "") => `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: tie-out}
spec:
  endpointSelector: {matchLabels: {org: empire}}
  egress:
  - toEndpoints: [{matchLabels: {class: deathstar}}]
    toPorts:
    - ports: [{port: "80", protocol: TCP}]
      rules: {http: [{method: GET, path: "/public/.*"}]}
${more}`;
