import Synchronization

/// The Prometheus metric types this module exposes.
enum MetricType: String, Sendable {
    case counter
    case gauge
    case histogram
}

/// A metric type whose samples can be written in the text format.
protocol SampleWriting: AnyObject, Sendable {
    var labelValues: [String] { get }
    func appendSamples(name: String, labelNames: [String], to output: inout [UInt8])
}

/// A named family as the registry sees it: enough to render it and to check re-registration.
protocol RegisteredFamily: AnyObject, Sendable {
    var name: String { get }
    var help: String { get }
    var type: MetricType { get }
    var labelNames: [String] { get }
    /// Writes every sample of the family (no HELP or TYPE lines); false when it has none.
    func appendSamples(to output: inout [UInt8]) -> Bool
}

/// Metrics sharing a name and label names, one child per set of label values.
///
/// Look a child up once, where its label values become known (for example when a route
/// is registered), and keep it: the child's operations are lock-free, while `labels`
/// takes a lock and may allocate, so it belongs on rare paths only.
public final class MetricFamily<Metric: AnyObject & Sendable>: Sendable {
    public let name: String
    public let help: String
    public let labelNames: [String]
    let type: MetricType
    private let makeMetric: @Sendable ([String]) -> Metric

    private struct Children {
        var byLabelValues: [[String]: Metric] = [:]
        /// Creation order, so that output is stable from scrape to scrape.
        var inOrder: [Metric] = []
    }

    private let children = Mutex(Children())

    init(name: String, help: String, labelNames: [String], type: MetricType, makeMetric: @escaping @Sendable ([String]) -> Metric) {
        self.name = name
        self.help = help
        self.labelNames = labelNames
        self.type = type
        self.makeMetric = makeMetric
    }

    /// The child for these label values (in `labelNames` order), created on first use.
    public func labels(_ values: String...) -> Metric {
        labels(values)
    }

    /// The child for these label values (in `labelNames` order), created on first use.
    public func labels(_ values: [String]) -> Metric {
        precondition(
            values.count == labelNames.count,
            "\(name) takes \(labelNames.count) label values (\(labelNames)), got \(values.count)")
        return children.withLock { children in
            if let existing = children.byLabelValues[values] { return existing }
            let metric = makeMetric(values)
            children.byLabelValues[values] = metric
            children.inOrder.append(metric)
            return metric
        }
    }

    func snapshotChildren() -> [Metric] {
        children.withLock { $0.inOrder }
    }
}

extension MetricFamily: RegisteredFamily where Metric: SampleWriting {
    func appendSamples(to output: inout [UInt8]) -> Bool {
        let metrics = snapshotChildren()
        for metric in metrics {
            metric.appendSamples(name: name, labelNames: labelNames, to: &output)
        }
        return !metrics.isEmpty
    }
}

/// A family of counters, one per set of label values.
public typealias CounterFamily = MetricFamily<Counter>
/// A family of gauges, one per set of label values.
public typealias GaugeFamily = MetricFamily<Gauge>
/// A family of histograms sharing bucket bounds, one per set of label values.
public typealias HistogramFamily = MetricFamily<Histogram>

extension Counter: SampleWriting {
    func appendSamples(name: String, labelNames: [String], to output: inout [UInt8]) {
        TextFormat.appendSeries(name: name, labelNames: labelNames, labelValues: labelValues, to: &output)
        TextFormat.appendNumber(value, to: &output)
        output.append(UInt8(ascii: "\n"))
    }
}

extension Gauge: SampleWriting {
    func appendSamples(name: String, labelNames: [String], to output: inout [UInt8]) {
        TextFormat.appendSeries(name: name, labelNames: labelNames, labelValues: labelValues, to: &output)
        TextFormat.appendNumber(value, to: &output)
        output.append(UInt8(ascii: "\n"))
    }
}

extension Histogram: SampleWriting {
    func appendSamples(name: String, labelNames: [String], to output: inout [UInt8]) {
        // Count is taken from the same reading as the buckets, so `_count` always equals
        // the `+Inf` bucket even while other threads keep observing.
        let cumulative = cumulativeBucketCounts()
        for (bucket, count) in cumulative.enumerated() {
            var bound: [UInt8] = []
            TextFormat.appendNumber(bucket < upperBounds.count ? upperBounds[bucket] : .infinity, to: &bound)
            TextFormat.appendSeries(
                name: name, suffix: "_bucket", labelNames: labelNames, labelValues: labelValues,
                extraLabel: (name: "le", value: String(decoding: bound, as: UTF8.self)), to: &output)
            TextFormat.appendNumber(count, to: &output)
            output.append(UInt8(ascii: "\n"))
        }
        TextFormat.appendSeries(name: name, suffix: "_sum", labelNames: labelNames, labelValues: labelValues, to: &output)
        TextFormat.appendNumber(sum, to: &output)
        output.append(UInt8(ascii: "\n"))
        TextFormat.appendSeries(name: name, suffix: "_count", labelNames: labelNames, labelValues: labelValues, to: &output)
        TextFormat.appendNumber(cumulative.last ?? 0, to: &output)
        output.append(UInt8(ascii: "\n"))
    }
}

/// A family whose values are computed by closures when scraped, such as process metrics.
final class FunctionFamily: RegisteredFamily {
    let name: String
    let help: String
    let type: MetricType
    let labelNames: [String]

    private struct Child {
        var labelValues: [String]
        var read: @Sendable () -> Double
    }

    private let children = Mutex<[Child]>([])

    init(name: String, help: String, type: MetricType, labelNames: [String]) {
        self.name = name
        self.help = help
        self.type = type
        self.labelNames = labelNames
    }

    /// Adds a child, or replaces the reader of an existing child with the same label values.
    func setReader(labelValues: [String], _ read: @escaping @Sendable () -> Double) {
        children.withLock { children in
            if let index = children.firstIndex(where: { $0.labelValues == labelValues }) {
                children[index].read = read
            } else {
                children.append(Child(labelValues: labelValues, read: read))
            }
        }
    }

    func appendSamples(to output: inout [UInt8]) -> Bool {
        // Read under the lock only to copy; the closures run unlocked so a slow one cannot block registration.
        let snapshot = children.withLock { $0 }
        for child in snapshot {
            TextFormat.appendSeries(name: name, labelNames: labelNames, labelValues: child.labelValues, to: &output)
            TextFormat.appendNumber(child.read(), to: &output)
            output.append(UInt8(ascii: "\n"))
        }
        return !snapshot.isEmpty
    }
}
