import Timing

/// The writer's reminder of when live holds end: a hierarchical timer wheel (`Timing.TimerWheel`,
/// O(1) schedule and cancel, slab-stored timers) keyed by each hold's stored deadline.
///
/// A reminder only (DESIGN.md, "The timer wheel lives with the writer"): what expires is decided by
/// the stored wall-clock deadlines, read from SQL when a sweep runs, so a late, early or lost
/// reminder can delay an idle wake-up by at most a tick but never expires a hold that is not due.
/// The wheel runs on wall-clock milliseconds since `originMs` (the batch clock the writer already
/// uses, which tests control); a clock that steps back only leaves the wheel where it is.
/// Confirm and cancel cancel the hold's timer at once.
///
/// Used only on the writer thread.
struct HoldDeadlines {
    private var wheel: TimerWheel<Int64>
    /// Live holds: reservation key → deadline and its timer.
    private var live: [Int64: (deadlineMs: Int64, timer: TimerHandle)] = [:]
    /// Holds whose timer fired and that are still live: key → deadline.
    private var fired: [Int64: Int64] = [:]
    private var firedScratch: [Int64] = []
    /// Who made each live hold (when tracked with an owner), and live holds per owner, for the
    /// per-caller hold limit.
    private var owners: [Int64: String] = [:]
    private var liveByOwner: [String: Int] = [:]
    private let originMs: Int64
    let tickMilliseconds: Int64

    /// - Parameters:
    ///   - tickMilliseconds: the wheel's resolution; a reminder fires at most one tick late.
    ///   - originMs: a wall-clock time at or before now; earlier deadlines count as due at once.
    init(tickMilliseconds: Int64 = 10, originMs: Int64 = 0) {
        precondition(tickMilliseconds > 0)
        self.tickMilliseconds = tickMilliseconds
        self.originMs = originMs
        self.wheel = TimerWheel(tickNanoseconds: UInt64(tickMilliseconds) * 1_000_000, startNanoseconds: 0)
    }

    private func nanoseconds(_ ms: Int64) -> UInt64 {
        UInt64(max(ms - originMs, 0)) * 1_000_000
    }

    /// Live holds tracked.
    var count: Int { live.count }

    /// The tracked deadline of hold `key`, or nil when it is not live.
    func deadline(of key: Int64) -> Int64? {
        live[key]?.deadlineMs
    }

    /// Live holds tracked for `owner`.
    func liveHolds(of owner: String) -> Int { liveByOwner[owner] ?? 0 }

    /// Who made hold `key`, when it is live and was tracked with an owner.
    func owner(of key: Int64) -> String? { owners[key] }

    /// Starts tracking hold `key`, made by `owner` (empty: not counted per owner).
    mutating func track(key: Int64, deadlineMs: Int64, owner: String = "") {
        if let previous = live[key] { wheel.cancel(previous.timer) }
        if !owner.isEmpty, owners.updateValue(owner, forKey: key) == nil { liveByOwner[owner, default: 0] += 1 }
        fired[key] = nil
        let timer = wheel.schedule(deadlineNanoseconds: nanoseconds(deadlineMs), payload: key)
        live[key] = (deadlineMs, timer)
    }

    /// Stops tracking hold `key` (confirmed, cancelled or expired); returns its deadline if it was live.
    @discardableResult
    mutating func untrack(key: Int64) -> Int64? {
        guard let entry = live.removeValue(forKey: key) else { return nil }
        wheel.cancel(entry.timer)
        if let owner = owners.removeValue(forKey: key) {
            let left = (liveByOwner[owner] ?? 1) - 1
            liveByOwner[owner] = left > 0 ? left : nil
        }
        fired[key] = nil
        return entry.deadlineMs
    }

    /// Moves the wheel to `nowMs`; holds whose timers fire are remembered as due.
    mutating func advance(to nowMs: Int64) {
        firedScratch.removeAll(keepingCapacity: true)
        wheel.advance(toNanoseconds: nanoseconds(nowMs)) { firedScratch.append($0) }
        for key in firedScratch {
            if let entry = live[key] { fired[key] = entry.deadlineMs }
        }
    }

    /// Whether some live hold's timer has fired (advance first).
    var hasFired: Bool { !fired.isEmpty }

    /// A time at or before the earliest live deadline, rounded to the wheel's tick: the earliest fired
    /// deadline when a timer has fired, else the wheel's next bucket time; nil when no hold is live.
    func earliestMs() -> Int64? {
        if let due = fired.values.min() { return due }
        guard live.count > 0, let next = wheel.nextDeadlineNanoseconds() else { return nil }
        return originMs + Int64(next / 1_000_000)
    }

    /// Whether a hold may be due at `nowMs`: a timer fired, or the next reminder falls within the
    /// current tick (a deadline inside the tick has not fired yet). Advance first.
    func mayBeDue(atMs nowMs: Int64) -> Bool {
        guard let earliest = earliestMs() else { return false }
        return earliest <= nowMs + tickMilliseconds
    }

    /// Advances to `nowMs`, forgets every fired reminder with a deadline at or before it, and
    /// returns the keys of those still live — after a sweep there should be none, since it expired them.
    mutating func removeDue(atOrBefore nowMs: Int64) -> [Int64] {
        advance(to: nowMs)
        var stillLive: [Int64] = []
        for (key, deadline) in fired where deadline <= nowMs {
            fired[key] = nil
            if live[key] != nil { stillLive.append(key) }
        }
        return stillLive
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
