/// The writer's reminder of when live holds end: which holds are live, and a min-heap of their
/// deadlines so the writer knows when to wake up without a command.
///
/// A reminder only (DESIGN.md, "The timer wheel lives with the writer"): what expires is decided by
/// the stored deadlines, read from SQL when a sweep runs. A binary heap on wall-clock milliseconds
/// rather than `Timing.TimerWheel` because the truth is a wall-clock deadline compared with the
/// batch's wall-clock "now" (which tests control and which may step backwards), while the wheel
/// runs on a monotonic clock and never moves back; and the heap gives the exact earliest deadline
/// for the writer's sleep. Confirm and cancel do not search the heap: they drop the hold from
/// `live`, and the heap's entry goes stale and is discarded when it reaches the top (lazy deletion).
/// Stale entries are bounded by the holds made within one hold period.
///
/// Used only on the writer thread.
struct HoldDeadlines {
    private struct Entry {
        let deadlineMs: Int64
        let key: Int64

        static func < (lhs: Entry, rhs: Entry) -> Bool {
            (lhs.deadlineMs, lhs.key) < (rhs.deadlineMs, rhs.key)
        }
    }

    /// Min-heap on (deadline, key); may hold stale entries.
    private var heap: [Entry] = []
    /// Live holds: reservation key → deadline.
    private var live: [Int64: Int64] = [:]

    /// Live holds tracked.
    var count: Int { live.count }

    /// The tracked deadline of hold `key`, or nil when it is not live.
    func deadline(of key: Int64) -> Int64? {
        live[key]
    }

    /// Starts tracking hold `key`.
    mutating func track(key: Int64, deadlineMs: Int64) {
        live[key] = deadlineMs
        push(Entry(deadlineMs: deadlineMs, key: key))
    }

    /// Stops tracking hold `key` (confirmed, cancelled or expired); returns its deadline if it was live.
    @discardableResult
    mutating func untrack(key: Int64) -> Int64? {
        live.removeValue(forKey: key)
    }

    /// The earliest live deadline, discarding stale entries on the way; nil when no hold is live.
    mutating func earliestMs() -> Int64? {
        while let top = heap.first {
            if live[top.key] == top.deadlineMs { return top.deadlineMs }
            popTop()
        }
        return nil
    }

    /// Removes every entry with a deadline at or before `nowMs` and returns the keys of those that
    /// are still live — after a sweep there should be none, since the sweep expired them.
    mutating func removeDue(atOrBefore nowMs: Int64) -> [Int64] {
        var stillLive: [Int64] = []
        while let top = heap.first, top.deadlineMs <= nowMs {
            if live[top.key] == top.deadlineMs { stillLive.append(top.key) }
            popTop()
        }
        return stillLive
    }

    // MARK: Heap

    private mutating func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child] < heap[parent] else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func popTop() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            let right = left + 1
            let smaller = right < heap.count && heap[right] < heap[left] ? right : left
            guard heap[smaller] < heap[parent] else { return }
            heap.swapAt(smaller, parent)
            parent = smaller
        }
    }
}

/// How late expiries committed: deadline to COMMIT, in milliseconds, as a fixed-bucket histogram so
/// a script can print percentiles without keeping every sample.
public struct ExpiryLateness: Sendable, Hashable {
    /// Upper bounds (inclusive, ms) of the buckets; one more bucket counts everything above the last.
    public static let bucketUpperBoundsMs: [Int64] = [
        0, 1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1_000, 2_000, 5_000, 10_000,
        30_000, 60_000,
    ]

    /// Expiries recorded.
    public private(set) var count = 0
    /// Largest lateness seen.
    public private(set) var maxMs: Int64 = 0
    /// Sum of all lateness values, for the mean.
    public private(set) var totalMs: Int64 = 0
    /// Counts per bucket: `bucketUpperBoundsMs.count + 1` entries.
    public private(set) var buckets = [Int](repeating: 0, count: ExpiryLateness.bucketUpperBoundsMs.count + 1)

    /// An empty histogram.
    public init() {}

    /// Adds one expiry that committed `latenessMs` after its deadline (negative values count as 0:
    /// the wall clock can step back between the batch's start and its commit).
    public mutating func record(_ latenessMs: Int64) {
        let value = max(latenessMs, 0)
        count += 1
        maxMs = max(maxMs, value)
        totalMs &+= value
        let bucket = Self.bucketUpperBoundsMs.firstIndex { value <= $0 } ?? Self.bucketUpperBoundsMs.count
        buckets[bucket] += 1
    }

    /// Mean lateness; 0 before the first expiry.
    public var meanMs: Double {
        count == 0 ? 0 : Double(totalMs) / Double(count)
    }

    /// An upper bound for the `fraction` quantile (0.5 for p50, 0.99 for p99): the bound of the
    /// bucket holding it, or `maxMs` when that is smaller or the value lies above the last bound.
    public func percentileMs(_ fraction: Double) -> Int64 {
        guard count > 0 else { return 0 }
        let rank = max(1, Int((Double(count) * min(max(fraction, 0), 1)).rounded(.up)))
        var seen = 0
        for (bucket, bucketCount) in buckets.enumerated() {
            seen += bucketCount
            if seen >= rank {
                return bucket < Self.bucketUpperBoundsMs.count ? min(Self.bucketUpperBoundsMs[bucket], maxMs) : maxMs
            }
        }
        return maxMs
    }
}
