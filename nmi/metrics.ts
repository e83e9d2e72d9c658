// NMI metrics on an injected Registry. The aadpodidentity_* names are aad-pod-identity's
// (users alert on them). prom-client keeps counter names as given in the Prometheus text
// format (it appends `_total` only for OpenMetrics), so `…_errors_count` stays as upstream.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export interface NmiMetrics {
  nmiOperations: Histogram<"operation_type" | "status_code" | "namespace" | "resource">;
  imdsOperations: Histogram<"operation_type" | "status_code">;
  imdsErrors: Counter<"operation_type">;
  requests: Counter<"outcome" | "reason">;
  cacheHits: Counter;
  cacheMisses: Counter;
  upstreamInflight: Gauge;
  podsIndexed: Gauge;
}

const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createNmiMetrics(registry: Registry): NmiMetrics {
  const registers = [registry];
  return {
    nmiOperations: new Histogram({
      name: "aadpodidentity_nmi_operations_duration_seconds",
      help: "Duration of NMI requests (operation_type = request path class)",
      labelNames: ["operation_type", "status_code", "namespace", "resource"],
      buckets: BUCKETS,
      registers,
    }),
    imdsOperations: new Histogram({
      name: "aadpodidentity_imds_operations_duration_seconds",
      help: "Duration of NMI's calls to IMDS",
      labelNames: ["operation_type", "status_code"],
      buckets: BUCKETS,
      registers,
    }),
    imdsErrors: new Counter({
      name: "aadpodidentity_imds_operations_errors_count",
      help: "Failed NMI calls to IMDS (network errors and non-2xx answers)",
      labelNames: ["operation_type"],
      registers,
    }),
    requests: new Counter({
      name: "podid_nmi_requests_total",
      help: "NMI requests by outcome and decision reason",
      labelNames: ["outcome", "reason"],
      registers,
    }),
    cacheHits: new Counter({ name: "podid_nmi_token_cache_hits_total", help: "Tokens served from NMI's cache", registers }),
    cacheMisses: new Counter({
      name: "podid_nmi_token_cache_misses_total",
      help: "Token requests not served from NMI's cache (including ones that joined an in-flight fetch)",
      registers,
    }),
    upstreamInflight: new Gauge({ name: "podid_nmi_upstream_inflight", help: "NMI calls to IMDS in flight", registers }),
    podsIndexed: new Gauge({ name: "podid_nmi_pods_indexed", help: "Pod IPs in NMI's index", registers }),
  };
}
