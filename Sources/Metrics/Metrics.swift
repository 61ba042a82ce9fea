/// A monotonically increasing count, such as requests served; never decreases.
///
/// Increment from the thread that owns `shard`; any thread may read `value`.
public final class Counter: Sendable {
    let labelValues: [String]
    private let cells: ShardedCells

    init(labelValues: [String], shardCount: Int) {
        self.labelValues = labelValues
        cells = ShardedCells(shardCount: shardCount, cellsPerShard: 1)
    }

    /// Adds `amount` to this shard's part of the count: one relaxed atomic add, no locks.
    public func increment(shard: Int, by amount: UInt64 = 1) {
        cells.add(shard: shard, cell: 0, amount)
    }

    /// The total over all shards.
    public var value: UInt64 { cells.sum(cell: 0) }
}

/// A value that can go up and down, such as open connections; reported as the sum of its shards.
///
/// A gauge written from one place uses `set(_:)`, which writes shard 0. A gauge fed by
/// every event loop lets each loop keep its own part (`set(shard:_:)`, `increment`,
/// `decrement`) so that no two threads write the same cell.
public final class Gauge: Sendable {
    let labelValues: [String]
    /// Each cell holds the bit pattern of a Double.
    private let cells: ShardedCells

    init(labelValues: [String], shardCount: Int) {
        self.labelValues = labelValues
        cells = ShardedCells(shardCount: shardCount, cellsPerShard: 1, initialValue: 0.0.bitPattern)
    }

    /// Sets this shard's part of the gauge.
    public func set(shard: Int, _ value: Double) {
        cells.store(shard: shard, cell: 0, value.bitPattern)
    }

    /// Sets the gauge when it has a single writer (stored in shard 0).
    public func set(_ value: Double) {
        set(shard: 0, value)
    }

    /// Adds `amount` to this shard's part of the gauge.
    public func increment(shard: Int, by amount: Double = 1) {
        cells.update(shard: shard, cell: 0) { (Double(bitPattern: $0) + amount).bitPattern }
    }

    /// Subtracts `amount` from this shard's part of the gauge.
    public func decrement(shard: Int, by amount: Double = 1) {
        increment(shard: shard, by: -amount)
    }

    /// The sum over all shards.
    public var value: Double { cells.sumOfDoubles(cell: 0) }
}

/// Counts observations into fixed buckets, such as request durations in seconds.
///
/// Per shard it keeps one count per bucket (not cumulative, so an observation touches a
/// single counter) plus the sum of observed values; a scrape adds up the shards and
/// makes the bucket counts cumulative.
public final class Histogram: Sendable {
    /// Latency buckets in seconds, from half a millisecond to ten seconds.
    public static let defaultSecondsBuckets: [Double] = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]

    let labelValues: [String]
    /// Finite, strictly increasing upper bounds; the `+Inf` bucket is implicit.
    let upperBounds: [Double]
    /// Cells `0..<upperBounds.count` count their buckets, then comes the `+Inf` bucket,
    /// then the running sum as a Double's bit pattern.
    private let cells: ShardedCells
    private var sumCell: Int { upperBounds.count + 1 }

    init(labelValues: [String], upperBounds: [Double], shardCount: Int) {
        self.labelValues = labelValues
        self.upperBounds = upperBounds
        cells = ShardedCells(shardCount: shardCount, cellsPerShard: upperBounds.count + 2)
    }

    /// Records one observation of `value` on this shard: no locks, no allocation.
    public func observe(shard: Int, _ value: Double) {
        // Linear search: bucket lists are short, and small values (the common case) stop early.
        var bucket = 0
        let bounds = upperBounds
        while bucket < bounds.count && !(value <= bounds[bucket]) {
            bucket += 1
        }
        cells.add(shard: shard, cell: bucket, 1)
        cells.update(shard: shard, cell: sumCell) { (Double(bitPattern: $0) + value).bitPattern }
    }

    /// Records a duration given in seconds.
    public func observe(shard: Int, seconds: Double) {
        observe(shard: shard, seconds)
    }

    /// Records a duration given in nanoseconds, reported in seconds.
    public func observe(shard: Int, nanoseconds: UInt64) {
        observe(shard: shard, Double(nanoseconds) / 1_000_000_000)
    }

    /// Observation counts per bucket summed over shards, cumulative, ending with `+Inf`.
    public func cumulativeBucketCounts() -> [UInt64] {
        var running: UInt64 = 0
        return (0...upperBounds.count).map { bucket in
            running &+= cells.sum(cell: bucket)
            return running
        }
    }

    /// The number of observations over all shards.
    public var count: UInt64 { cumulativeBucketCounts().last ?? 0 }

    /// The sum of all observed values over all shards.
    public var sum: Double { cells.sumOfDoubles(cell: sumCell) }
}
