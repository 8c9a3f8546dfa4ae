// Constants of the names the embedded DNS serves.
export const DNS_TTL = 5;
export const CLUSTER_DOMAIN = "cluster.local";
/** The Kubernetes DNS specification version we follow, served as dns-version.<zone> TXT. */
export const DNS_SCHEMA_VERSION = "1.1.0";
