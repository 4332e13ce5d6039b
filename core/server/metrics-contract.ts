/** A Prometheus metric as a server exposes it: name (as scraped), type and label names. */
export interface MetricContract {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary';
  labels: string[];
}
