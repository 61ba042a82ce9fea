import Dispatch
import Metrics
import Testing

@Test func counter_increment_sumsShards() {
    let registry = MetricsRegistry(shardCount: 3)
    let counter = registry.counter(name: "events_total", help: "Events.")
    counter.increment(shard: 0)
    counter.increment(shard: 1, by: 10)
    counter.increment(shard: 2, by: 100)
    #expect(counter.value == 111)
}

@Test func counter_increment_concurrentThreadsSumExactly() {
    let registry = MetricsRegistry(shardCount: 4)
    let counter = registry.counter(name: "events_total", help: "Events.")
    let histogram = registry.histogram(name: "work_seconds", help: "Work.", buckets: [0.5])
    let gauge = registry.gauge(name: "in_flight", help: "In flight.")
    let threadCount = 8
    let perThread = 20_000
    // Two threads per shard, so the atomics are exercised with real contention too.
    DispatchQueue.concurrentPerform(iterations: threadCount) { thread in
        let shard = thread % 4
        for step in 0..<perThread {
            counter.increment(shard: shard)
            histogram.observe(shard: shard, seconds: step.isMultiple(of: 2) ? 0.25 : 1)
            gauge.increment(shard: shard)
            gauge.decrement(shard: shard, by: 0.5)
        }
    }
    let total = UInt64(threadCount * perThread)
    #expect(counter.value == total)
    #expect(histogram.count == total)
    #expect(histogram.cumulativeBucketCounts() == [total / 2, total])
    #expect(histogram.sum == Double(total / 2) * 1.25)
    #expect(gauge.value == Double(total) * 0.5)
}

@Test func gauge_set_withoutShardWritesOnePlace() {
    let registry = MetricsRegistry(shardCount: 2)
    let gauge = registry.gauge(name: "temperature_celsius", help: "Temperature.")
    gauge.set(21.5)
    gauge.set(20)
    #expect(gauge.value == 20)
    gauge.decrement(shard: 1, by: 2)
    #expect(gauge.value == 18)
}

@Test func histogram_observe_boundsAreInclusiveAndCountsCumulative() {
    let registry = MetricsRegistry(shardCount: 2)
    let histogram = registry.histogram(name: "size_bytes", help: "Sizes.", buckets: [1, 10, 100])
    for (shard, value) in [(0, 0.5), (1, 1.0), (0, 1.5), (1, 10.0), (0, 99.0), (1, 100.0), (0, 1000.0), (1, -5.0)] {
        histogram.observe(shard: shard, value)
    }
    let cumulative = histogram.cumulativeBucketCounts()
    #expect(cumulative == [3, 5, 7, 8])
    #expect(histogram.count == 8)
    #expect(histogram.sum == 1207)
    let text = renderedText(registry)
    #expect(sampleValue(text, series: "size_bytes_bucket{le=\"10\"}") == 5)
    #expect(sampleValue(text, series: "size_bytes_bucket{le=\"+Inf\"}") == sampleValue(text, series: "size_bytes_count"))
}

@Test func histogram_observeNanoseconds_reportsSeconds() {
    let registry = MetricsRegistry(shardCount: 1)
    let histogram = registry.histogram(name: "latency_seconds", help: "Latency.")
    histogram.observe(shard: 0, nanoseconds: 500_000)
    histogram.observe(shard: 0, nanoseconds: 500_001)
    histogram.observe(shard: 0, nanoseconds: 20_000_000_000)
    #expect(Histogram.defaultSecondsBuckets.first == 0.0005)
    // 0.5 ms exactly lands in the first bucket; a nanosecond more does not.
    #expect(histogram.cumulativeBucketCounts().prefix(2) == [1, 2])
    #expect(histogram.cumulativeBucketCounts().last == 3)
    #expect(abs(histogram.sum - 20.001000001) < 1e-9)
}

@Test func histogramFamily_labels_renderLabelsBeforeLe() {
    let registry = MetricsRegistry(shardCount: 1)
    let family = registry.histogramFamily(name: "route_seconds", help: "Per route.", labelNames: ["route"], buckets: [1])
    family.labels("/holds").observe(shard: 0, seconds: 0.5)
    let text = renderedText(registry)
    #expect(text.contains("route_seconds_bucket{route=\"/holds\",le=\"1\"} 1\n"))
    #expect(text.contains("route_seconds_sum{route=\"/holds\"} 0.5\n"))
    #expect(text.contains("route_seconds_count{route=\"/holds\"} 1\n"))
}

@Test func family_labels_returnsSameChildForSameValues() {
    let registry = MetricsRegistry(shardCount: 1)
    let family = registry.counterFamily(name: "responses_total", help: "Responses.", labelNames: ["code", "route"])
    let first = family.labels("200", "/a")
    #expect(family.labels(["200", "/a"]) === first)
    #expect(family.labels("404", "/a") !== first)
}

@Test func registry_counter_getOrCreateReturnsSameMetric() {
    let registry = MetricsRegistry(shardCount: 1)
    let first = registry.counter(name: "jobs_total", help: "Jobs.", labels: ["queue": "a", "kind": "x"])
    let again = registry.counter(name: "jobs_total", help: "Ignored help.", labels: ["kind": "x", "queue": "a"])
    let other = registry.counter(name: "jobs_total", help: "Jobs.", labels: ["kind": "y", "queue": "a"])
    #expect(first === again)
    #expect(first !== other)
    #expect(registry.counterFamily(name: "jobs_total", help: "Jobs.", labelNames: ["kind", "queue"]).labels("x", "a") === first)
    first.increment(shard: 0)
    // Label names from a dictionary are sorted, so the output does not depend on hashing.
    #expect(renderedText(registry).contains("jobs_total{kind=\"x\",queue=\"a\"} 1\n"))
}

@Test func registry_registration_rejectsInvalidNames() async {
    await #expect(processExitsWith: .failure) {
        _ = MetricsRegistry(shardCount: 1).counter(name: "bad-name_total", help: "Dash.")
    }
    await #expect(processExitsWith: .failure) {
        _ = MetricsRegistry(shardCount: 1).counterFamily(name: "ok_total", help: "Reserved.", labelNames: ["__reserved"])
    }
    await #expect(processExitsWith: .failure) {
        _ = MetricsRegistry(shardCount: 1).histogramFamily(name: "ok_seconds", help: "Reserved.", labelNames: ["le"])
    }
}

@Test func registry_registration_rejectsCollidingSeries() async {
    await #expect(processExitsWith: .failure) {
        let registry = MetricsRegistry(shardCount: 1)
        _ = registry.histogram(name: "wait_seconds", help: "Waits.")
        _ = registry.counter(name: "wait_seconds_count", help: "Clashes with the histogram's count.")
    }
    await #expect(processExitsWith: .failure) {
        let registry = MetricsRegistry(shardCount: 1)
        _ = registry.counter(name: "things", help: "A counter.")
        _ = registry.gauge(name: "things", help: "Same name, other type.")
    }
}

@Test func counter_increment_outOfRangeShardStops() async {
    await #expect(processExitsWith: .failure) {
        MetricsRegistry(shardCount: 2).counter(name: "events_total", help: "Events.").increment(shard: 2)
    }
}
