// Constants of the names the embedded DNS serves.
export const DNS_TTL = 5;
export const CLUSTER_DOMAIN = "cluster.local";
