/// A single-level timing wheel of connection deadlines, keyed by (slot, generation).
///
/// Entries are lazy: a connection whose deadline moved later is queued again when its old bucket
/// comes due, so pushing a deadline forward on every request costs one store, not a list update.
/// Deadlines beyond the wheel's span wait in the last bucket of the span and are re-queued.
struct DeadlineWheel {
    private var buckets: [[UInt64]]
    private let tickMilliseconds: Int64
    private var currentTick: Int64 = -1
    private(set) var count = 0

    init(tickMilliseconds: Int64, slotCount: Int) {
        self.tickMilliseconds = tickMilliseconds
        self.buckets = Array(repeating: [], count: slotCount)
    }

    mutating func insert(slot: UInt32, generation: UInt32, atMilliseconds deadline: Int64, now: Int64) {
        let nowTick = now / tickMilliseconds
        if currentTick < 0 { currentTick = nowTick }
        var tick = (deadline + tickMilliseconds - 1) / tickMilliseconds
        // Never behind the cursor (it would wait a whole revolution), never beyond one revolution.
        tick = max(tick, currentTick + 1)
        tick = min(tick, currentTick + Int64(buckets.count) - 1)
        buckets[Int(tick % Int64(buckets.count))].append(UInt64(generation) << 32 | UInt64(slot))
        count += 1
    }

    /// Moves every entry whose bucket is due at `now` into `due` (as slot, generation pairs packed
    /// into a UInt64: generation << 32 | slot).
    mutating func collectDue(at now: Int64, into due: inout [UInt64]) {
        let nowTick = now / tickMilliseconds
        if currentTick < 0 { currentTick = nowTick; return }
        // After a long sleep, one revolution covers every bucket.
        let lastTick = min(nowTick, currentTick + Int64(buckets.count))
        while currentTick < lastTick {
            currentTick += 1
            let index = Int(currentTick % Int64(buckets.count))
            if buckets[index].isEmpty { continue }
            count -= buckets[index].count
            due.append(contentsOf: buckets[index])
            buckets[index].removeAll(keepingCapacity: true)
        }
        currentTick = max(currentTick, nowTick)
    }
}
