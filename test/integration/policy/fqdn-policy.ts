// The FQDN test's and bench's policy: app=app may resolve *.example.test through Ponton's resolver
// and reach what those names resolve to on 443/tcp, nothing else.
export const FQDN_POLICY = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: fqdn, namespace: default}
spec:
  endpointSelector: {matchLabels: {app: app}}
  egress:
  - toEntities: [host]
    toPorts: [{ports: [{port: "53", protocol: ANY}], rules: {dns: [{matchPattern: "*.example.test"}]}}]
  - toFQDNs: [{matchPattern: "*.example.test"}]
    toPorts: [{ports: [{port: "443", protocol: TCP}]}]
`;
