import Foundation
import Metrics
import TestSupport
import Testing

@Test(.enabled(if: Promtool.path != nil, "promtool is not installed"))
func registry_render_passesPromtoolCheckMetrics() throws {
    let registry = MetricsRegistry(shardCount: 2)
    let requests = registry.counterFamily(
        name: "http_requests_total", help: "HTTP requests by route and status.", labelNames: ["route", "status"])
    requests.labels("/events/{id}/holds", "201").increment(shard: 0, by: 7)
    requests.labels("/odd \"route\"\\\n", "500").increment(shard: 1)
    registry.gauge(name: "http_connections", help: "Open HTTP connections.").set(shard: 1, 12)
    let durations = registry.histogramFamily(
        name: "http_request_duration_seconds", help: "Time from request to response.", labelNames: ["route"])
    durations.labels("/events").observe(shard: 0, nanoseconds: 1_250_000)
    durations.labels("/events").observe(shard: 1, seconds: 12)
    registry.gaugeFunction(name: "holds_active", help: "Holds not yet expired.") { 3 }
    registry.registerProcessMetrics()

    let (status, report) = try Promtool.checkMetrics(registry.render())
    #expect(status == 0, "promtool said: \(report)")
}
