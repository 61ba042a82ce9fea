import Foundation
import Metrics
import Testing

/// promtool from PATH. When it is missing (developer machines without the Debian
/// `prometheus` package) the check below is skipped and reported as such; CI installs it.
let promtoolPath: String? = {
    let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/usr/local/bin").split(separator: ":")
    return directories.map { "\($0)/promtool" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}()

@Test(.enabled(if: promtoolPath != nil, "promtool is not installed"))
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

    let process = Process()
    process.executableURL = URL(fileURLWithPath: try #require(promtoolPath))
    process.arguments = ["check", "metrics"]
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = output
    try process.run()
    // promtool reads all of stdin before writing, and the input is small, so this cannot deadlock.
    input.fileHandleForWriting.write(Data(registry.render()))
    try input.fileHandleForWriting.close()
    let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "promtool said: \(report)")
}
