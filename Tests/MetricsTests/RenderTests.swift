import Metrics
import Testing

func renderedText(_ registry: MetricsRegistry) -> String {
    String(decoding: registry.render(), as: UTF8.self)
}

/// The value of the first sample line that starts with `series` followed by a space.
func sampleValue(_ text: String, series: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
        return Double(line.dropFirst(series.count + 1))
    }
    return nil
}

@Test func registry_render_matchesExactTextForTinyRegistry() {
    let registry = MetricsRegistry(shardCount: 2)
    let requests = registry.counterFamily(
        name: "http_requests_total", help: "Requests handled.", labelNames: ["method", "route"])
    requests.labels("GET", "/a").increment(shard: 0, by: 2)
    requests.labels("GET", "/a").increment(shard: 1)
    requests.labels("POST", "/b").increment(shard: 1)
    let connections = registry.gauge(name: "open_connections", help: "Connections open now.")
    connections.set(shard: 0, 3)
    connections.set(shard: 1, 4.5)
    let durations = registry.histogram(
        name: "request_duration_seconds", help: "Time to handle a request.", buckets: [0.1, 1])
    durations.observe(shard: 0, seconds: 0.0625)
    durations.observe(shard: 1, seconds: 0.25)
    durations.observe(shard: 0, seconds: 0.5)
    durations.observe(shard: 1, seconds: 3)

    #expect(renderedText(registry) == """
        # HELP http_requests_total Requests handled.
        # TYPE http_requests_total counter
        http_requests_total{method="GET",route="/a"} 3
        http_requests_total{method="POST",route="/b"} 1
        # HELP open_connections Connections open now.
        # TYPE open_connections gauge
        open_connections 7.5
        # HELP request_duration_seconds Time to handle a request.
        # TYPE request_duration_seconds histogram
        request_duration_seconds_bucket{le="0.1"} 1
        request_duration_seconds_bucket{le="1"} 3
        request_duration_seconds_bucket{le="+Inf"} 4
        request_duration_seconds_sum 3.8125
        request_duration_seconds_count 4

        """)
}

@Test func registry_render_escapesLabelValuesAndHelp() {
    let registry = MetricsRegistry(shardCount: 1)
    registry.counterFamily(name: "paths_total", help: "Paths with \\ and\nnewline \"quoted\".", labelNames: ["path"])
        .labels("a\\b\"c\nd").increment(shard: 0)
    #expect(renderedText(registry) == """
        # HELP paths_total Paths with \\\\ and\\nnewline "quoted".
        # TYPE paths_total counter
        paths_total{path="a\\\\b\\"c\\nd"} 1

        """)
}

@Test func registry_render_formatsNumbersAsPrometheusParsesThem() {
    let registry = MetricsRegistry(shardCount: 1)
    let cases: [(String, Double, String)] = [
        ("integral", 42, "42"),
        ("negative", -3, "-3"),
        ("fraction", 0.5, "0.5"),
        ("tiny", 0.00001, "1e-05"),
        ("huge", 1e20, "1e+20"),
        ("positive_infinity", .infinity, "+Inf"),
        ("negative_infinity", -.infinity, "-Inf"),
        ("not_a_number", .nan, "NaN"),
    ]
    for (name, value, _) in cases {
        registry.gauge(name: name, help: "A number.").set(value)
    }
    let lines = renderedText(registry).split(separator: "\n")
    for (name, _, expected) in cases {
        #expect(lines.contains { $0 == "\(name) \(expected)" }, "\(name)")
    }
}

@Test func registry_render_omitsFamiliesWithoutChildren() {
    let registry = MetricsRegistry(shardCount: 1)
    _ = registry.counterFamily(name: "unused_total", help: "Never labelled.", labelNames: ["route"])
    #expect(registry.render().isEmpty)
}

@Test func registry_render_callsFunctionsAtScrapeTime() {
    let registry = MetricsRegistry(shardCount: 1)
    let source = registry.gauge(name: "source", help: "Read by the function.")
    registry.gaugeFunction(name: "queue_depth", help: "Items waiting.", labels: ["queue": "holds"]) {
        source.value * 2
    }
    source.set(5)
    #expect(sampleValue(renderedText(registry), series: "queue_depth{queue=\"holds\"}") == 10)
    source.set(6)
    #expect(sampleValue(renderedText(registry), series: "queue_depth{queue=\"holds\"}") == 12)
}

@Test func registry_registerProcessMetrics_reportsPlausibleValues() {
    let registry = MetricsRegistry(shardCount: 1)
    registry.registerProcessMetrics()
    let text = renderedText(registry)
    #expect(text.contains("# TYPE process_cpu_seconds_total counter\n"))
    #expect((sampleValue(text, series: "process_resident_memory_bytes") ?? 0) > 1_000_000)
    #expect((sampleValue(text, series: "process_virtual_memory_bytes") ?? 0) > 1_000_000)
    // At least stdin, stdout and stderr.
    #expect((sampleValue(text, series: "process_open_fds") ?? 0) >= 3)
    #expect((sampleValue(text, series: "process_max_fds") ?? 0) >= 3)
    #expect((sampleValue(text, series: "process_cpu_seconds_total") ?? -1) >= 0)
    // Between 2020-01-01 and 2200-01-01, in seconds since the epoch.
    let started = sampleValue(text, series: "process_start_time_seconds") ?? 0
    #expect(started > 1_577_836_800 && started < 7_258_118_400)
}
