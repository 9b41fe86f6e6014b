/**
 * Request metrics of the API in the Prometheus text format (no dependency): requests by route, method and
 * status, and a latency histogram per route.
 */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export class ApiMetrics {
  private readonly requests = new Map<string, number>();
  private readonly latency = new Map<string, { buckets: number[]; sum: number; count: number }>();
  liveClients = 0;

  observe(route: string, method: string, status: number, seconds: number): void {
    const key = `route="${route}",method="${method}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    let h = this.latency.get(route);
    if (!h) {
      h = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.latency.set(route, h);
    }
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]) h.buckets[i]++;
    h.sum += seconds;
    h.count++;
  }

  render(): string {
    const out: string[] = [
      '# HELP passage_api_requests_total API requests by route, method and status',
      '# TYPE passage_api_requests_total counter',
    ];
    for (const [k, v] of this.requests) out.push(`passage_api_requests_total{${k}} ${v}`);
    out.push(
      '# HELP passage_api_request_duration_seconds API request latency',
      '# TYPE passage_api_request_duration_seconds histogram',
    );
    for (const [route, h] of this.latency) {
      for (let i = 0; i < BUCKETS.length; i++) {
        out.push(`passage_api_request_duration_seconds_bucket{route="${route}",le="${BUCKETS[i]}"} ${h.buckets[i]}`);
      }
      out.push(`passage_api_request_duration_seconds_bucket{route="${route}",le="+Inf"} ${h.count}`);
      out.push(`passage_api_request_duration_seconds_sum{route="${route}"} ${h.sum}`);
      out.push(`passage_api_request_duration_seconds_count{route="${route}"} ${h.count}`);
    }
    out.push('# HELP passage_api_live_clients Open live (SSE) connections', '# TYPE passage_api_live_clients gauge');
    out.push(`passage_api_live_clients ${this.liveClients}`);
    return `${out.join('\n')}\n`;
  }
}
