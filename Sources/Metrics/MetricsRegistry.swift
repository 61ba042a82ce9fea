import Synchronization

/// Owns every metric of the process and renders them in the Prometheus text format 0.0.4.
///
/// Registration is get-or-create: asking twice for the same name, type and label names
/// returns the same family (help text from the first call wins). Invalid names, a name
/// reused with a different type, label names or buckets, or a name that collides with
/// another family's series (a histogram `x` owns `x_bucket`, `x_sum` and `x_count`) are
/// programming errors and stop the process at registration time.
public final class MetricsRegistry: Sendable {
    /// The `Content-Type` of `render()`'s output.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The number of shards per metric: one per thread that records metrics.
    public let shardCount: Int

    private struct State {
        var families: [any RegisteredFamily] = []
        var familyIndexByName: [String: Int] = [:]
        /// Every sample name in use, so that no two families can emit the same series.
        var takenSampleNames: Set<String> = []
        var histogramUpperBounds: [String: [Double]] = [:]
    }

    private let state = Mutex(State())

    public init(shardCount: Int) {
        precondition(shardCount > 0, "a registry needs at least one shard")
        self.shardCount = shardCount
    }

    // MARK: - Families

    /// A counter family whose children are chosen by `labelNames` values.
    public func counterFamily(name: String, help: String, labelNames: [String]) -> CounterFamily {
        let shardCount = shardCount
        return family(name: name, help: help, type: .counter, labelNames: labelNames) { _ in
            CounterFamily(name: name, help: help, labelNames: labelNames, type: .counter) {
                Counter(labelValues: $0, shardCount: shardCount)
            }
        }
    }

    /// A gauge family whose children are chosen by `labelNames` values.
    public func gaugeFamily(name: String, help: String, labelNames: [String]) -> GaugeFamily {
        let shardCount = shardCount
        return family(name: name, help: help, type: .gauge, labelNames: labelNames) { _ in
            GaugeFamily(name: name, help: help, labelNames: labelNames, type: .gauge) {
                Gauge(labelValues: $0, shardCount: shardCount)
            }
        }
    }

    /// A histogram family; `buckets` are finite, strictly increasing upper bounds (`+Inf` is implicit).
    public func histogramFamily(
        name: String, help: String, labelNames: [String], buckets: [Double] = Histogram.defaultSecondsBuckets
    ) -> HistogramFamily {
        var upperBounds = buckets
        if upperBounds.last == .infinity { upperBounds.removeLast() }
        precondition(upperBounds.allSatisfy(\.isFinite), "\(name): bucket bounds must be finite numbers")
        precondition(zip(upperBounds, upperBounds.dropFirst()).allSatisfy { $0 < $1 }, "\(name): bucket bounds must increase")
        precondition(!labelNames.contains("le"), "\(name): the label name le is reserved for histogram buckets")
        let shardCount = shardCount
        let bounds = upperBounds
        return family(name: name, help: help, type: .histogram, labelNames: labelNames, upperBounds: bounds) { _ in
            HistogramFamily(name: name, help: help, labelNames: labelNames, type: .histogram) {
                Histogram(labelValues: $0, upperBounds: bounds, shardCount: shardCount)
            }
        }
    }

    // MARK: - Single metrics

    /// The counter with these fixed label values (none by default).
    public func counter(name: String, help: String, labels: [String: String] = [:]) -> Counter {
        let family = counterFamily(name: name, help: help, labelNames: existingLabelNames(name: name, labels: labels))
        return family.labels(orderedValues(labels, for: family.labelNames))
    }

    /// The gauge with these fixed label values (none by default).
    public func gauge(name: String, help: String, labels: [String: String] = [:]) -> Gauge {
        let family = gaugeFamily(name: name, help: help, labelNames: existingLabelNames(name: name, labels: labels))
        return family.labels(orderedValues(labels, for: family.labelNames))
    }

    /// The histogram with these fixed label values (none by default).
    public func histogram(
        name: String, help: String, labels: [String: String] = [:], buckets: [Double] = Histogram.defaultSecondsBuckets
    ) -> Histogram {
        let family = histogramFamily(
            name: name, help: help, labelNames: existingLabelNames(name: name, labels: labels), buckets: buckets)
        return family.labels(orderedValues(labels, for: family.labelNames))
    }

    /// A gauge whose value `read` computes at every scrape, on the scraping thread.
    public func gaugeFunction(
        name: String, help: String, labels: [String: String] = [:], _ read: @escaping @Sendable () -> Double
    ) {
        functionFamily(name: name, help: help, type: .gauge, labels: labels, read)
    }

    /// A counter whose value `read` computes at every scrape; it must never decrease.
    public func counterFunction(
        name: String, help: String, labels: [String: String] = [:], _ read: @escaping @Sendable () -> Double
    ) {
        functionFamily(name: name, help: help, type: .counter, labels: labels, read)
    }

    // MARK: - Rendering

    /// Every family with at least one sample, in registration order, as text format 0.0.4.
    public func render() -> [UInt8] {
        let families = state.withLock { $0.families }
        var output: [UInt8] = []
        output.reserveCapacity(4096)
        for family in families {
            var samples: [UInt8] = []
            // A family without children yet is left out rather than shown as a bare header.
            guard family.appendSamples(to: &samples) else { continue }
            TextFormat.appendText("# HELP \(family.name) ", to: &output)
            TextFormat.appendHelp(family.help, to: &output)
            TextFormat.appendText("\n# TYPE \(family.name) \(family.type.rawValue)\n", to: &output)
            output.append(contentsOf: samples)
        }
        return output
    }

    // MARK: - Registration

    private func family<Family: RegisteredFamily>(
        name: String,
        help: String,
        type: MetricType,
        labelNames: [String],
        upperBounds: [Double]? = nil,
        make: ([String]) -> Family
    ) -> Family {
        precondition(TextFormat.isValidMetricName(name), "invalid metric name \(name)")
        for labelName in labelNames {
            precondition(TextFormat.isValidLabelName(labelName), "\(name): invalid label name \(labelName)")
        }
        precondition(Set(labelNames).count == labelNames.count, "\(name): duplicate label names \(labelNames)")
        return state.withLock { state in
            if let index = state.familyIndexByName[name] {
                let existing = state.families[index]
                precondition(
                    existing.type == type && existing.labelNames == labelNames,
                    "\(name) is already registered as a \(existing.type) with labels \(existing.labelNames)")
                precondition(
                    state.histogramUpperBounds[name] == upperBounds,
                    "\(name) is already registered with other buckets")
                guard let family = existing as? Family else {
                    preconditionFailure("\(name) is already registered as a different kind of family")
                }
                return family
            }
            let sampleNames = type == .histogram
                ? [name, name + "_bucket", name + "_sum", name + "_count"]
                : [name]
            for sampleName in sampleNames {
                precondition(!state.takenSampleNames.contains(sampleName), "\(sampleName) collides with another metric")
            }
            state.takenSampleNames.formUnion(sampleNames)
            let family = make(labelNames)
            state.familyIndexByName[name] = state.families.count
            state.families.append(family)
            state.histogramUpperBounds[name] = upperBounds
            return family
        }
    }

    private func functionFamily(
        name: String, help: String, type: MetricType, labels: [String: String], _ read: @escaping @Sendable () -> Double
    ) {
        let family = family(
            name: name, help: help, type: type, labelNames: existingLabelNames(name: name, labels: labels)
        ) { labelNames in
            FunctionFamily(name: name, help: help, type: type, labelNames: labelNames)
        }
        family.setReader(labelValues: orderedValues(labels, for: family.labelNames), read)
    }

    /// The label names of an already registered family if it has these labels, else them sorted.
    ///
    /// Sorting makes the order deterministic for families first created from a dictionary.
    private func existingLabelNames(name: String, labels: [String: String]) -> [String] {
        let registered = state.withLock { state in
            state.familyIndexByName[name].map { state.families[$0].labelNames }
        }
        if let registered, Set(registered) == Set(labels.keys) {
            return registered
        }
        return labels.keys.sorted()
    }

    private func orderedValues(_ labels: [String: String], for labelNames: [String]) -> [String] {
        labelNames.map { labels[$0]! }
    }
}
