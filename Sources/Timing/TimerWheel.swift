/// Names one scheduled timer; becomes stale once that timer fires or is cancelled.
///
/// The generation distinguishes successive timers that reuse the same slab slot, so a
/// stale handle can never cancel somebody else's timer.
public struct TimerHandle: Hashable, Sendable {
    /// Index of the timer's record in the wheel's slab.
    public let slot: UInt32
    /// Odd while the timer is live; the slot's generation moves on when it is freed.
    public let generation: UInt32

    public init(slot: UInt32, generation: UInt32) {
        self.slot = slot
        self.generation = generation
    }
}

/// A hierarchical timing wheel: O(1) schedule and cancel for millions of timers.
///
/// Time is cut into ticks of `tickNanoseconds`. Level 0 has one bucket per tick for
/// the next 64 ticks; each higher level has 64 buckets that each span 64 buckets of
/// the level below. When time reaches a higher-level bucket, its timers are moved
/// ("cascaded") into lower levels, so every timer is moved at most once per level.
/// Six levels of 64 cover 64^6 ticks (about 21 years at 10 ms); later deadlines wait
/// in the top level and are re-cascaded until they come within range.
///
/// Timers live in a slab of plain structs threaded on intrusive doubly linked lists of
/// slab indices, one list per bucket, so there is no allocation per timer once the slab
/// has grown, and a handle is just a slot index plus a generation.
///
/// Firing rule: a deadline is rounded up to the next tick boundary (`startNanoseconds`
/// plus a whole number of ticks), and the timer fires in the first `advance` whose time
/// reaches that boundary. So a timer never fires before its deadline and, if `advance`
/// is called promptly, less than one tick after it. The exception is a deadline already
/// at or before the wheel's time when scheduled: it fires in the very next `advance`.
/// Within one advance timers fire in order of their rounded deadlines; timers sharing a
/// tick fire in no particular order.
public struct TimerWheel<Payload> {
    /// One timer, or one free slab slot. Kept small: 2M of these must fit in well under 100 MB.
    struct Node {
        /// The tick at or after which the timer is due: the deadline rounded up to a tick boundary.
        var deadlineTick: UInt64
        /// Nil only while the slot is free, so freed slots do not keep payloads alive.
        var payload: Payload?
        /// Previous node in the bucket, or `headMarker | bucket` for the first node.
        var previous: UInt32
        /// Next node in the bucket (or in the free list), or `none`.
        var next: UInt32
        /// Odd while the slot holds a live timer, even while it is free.
        var generation: UInt32
    }

    static var slotBits: Int { 6 }
    static var slotsPerLevel: Int { 1 << slotBits }
    static var slotMask: UInt64 { UInt64(slotsPerLevel - 1) }
    static var levelCount: Int { 6 }
    /// Ticks covered by the whole wheel; later deadlines are parked in the top level.
    static var spanTicks: UInt64 { 1 << UInt64(slotBits * levelCount) }
    /// The extra bucket after the wheel buckets for timers already due when scheduled.
    static var dueBucket: Int { levelCount * slotsPerLevel }
    static var none: UInt32 { .max }
    /// Set in `previous` to mark the first node of a bucket; the low bits then name the bucket.
    static var headMarker: UInt32 { 1 << 31 }

    /// The length of one tick.
    public let tickNanoseconds: UInt64
    /// The time at which tick 0 ends; deadlines at or before it are already due.
    public let startNanoseconds: UInt64

    private var nodes: [Node] = []
    private var freeHead: UInt32 = TimerWheel.none
    /// First node of each bucket: level-major, then the due bucket.
    private var bucketHeads: [UInt32]
    /// One bit per non-empty bucket for each level, so empty stretches of time can be skipped.
    private var occupiedSlots: [UInt64]
    /// The next tick whose bucket has not been fired; every tick before it is done.
    private var nextTick: UInt64 = 1
    /// The latest time passed to `advance`; deadlines at or before it go to the due bucket.
    private var currentNanoseconds: UInt64

    /// The number of timers scheduled and not yet fired or cancelled.
    public private(set) var count = 0

    /// Creates an empty wheel whose clock reads `startNanoseconds`.
    public init(tickNanoseconds: UInt64, startNanoseconds: UInt64) {
        precondition(tickNanoseconds > 0, "a tick must last some time")
        self.tickNanoseconds = tickNanoseconds
        self.startNanoseconds = startNanoseconds
        currentNanoseconds = startNanoseconds
        bucketHeads = Array(repeating: TimerWheel.none, count: TimerWheel.dueBucket + 1)
        occupiedSlots = Array(repeating: 0, count: TimerWheel.levelCount)
    }

    /// Grows the slab once up front, so scheduling `timerCount` timers never reallocates.
    public mutating func reserveCapacity(_ timerCount: Int) {
        nodes.reserveCapacity(timerCount)
    }

    /// Bytes held by the slab and bucket tables: an estimate for capacity planning.
    public var estimatedMemoryBytes: Int {
        nodes.capacity * MemoryLayout<Node>.stride
            + bucketHeads.capacity * MemoryLayout<UInt32>.stride
            + occupiedSlots.capacity * MemoryLayout<UInt64>.stride
    }

    /// Schedules `payload` to fire once time reaches `deadlineNanoseconds`.
    ///
    /// A deadline at or before the wheel's current time fires on the next `advance`.
    public mutating func schedule(deadlineNanoseconds: UInt64, payload: Payload) -> TimerHandle {
        let index = allocateNode(payload: payload)
        if deadlineNanoseconds <= currentNanoseconds {
            nodes[Int(index)].deadlineTick = 0
            link(index, into: TimerWheel.dueBucket)
        } else {
            // Round up so a timer never fires before its deadline.
            let elapsed = deadlineNanoseconds - startNanoseconds
            let (quotient, remainder) = elapsed.quotientAndRemainder(dividingBy: tickNanoseconds)
            nodes[Int(index)].deadlineTick = remainder == 0 ? quotient : quotient + 1
            place(index)
        }
        return TimerHandle(slot: index, generation: nodes[Int(index)].generation)
    }

    /// Cancels a timer; returns false if it already fired, was cancelled, or the handle is stale.
    @discardableResult
    public mutating func cancel(_ handle: TimerHandle) -> Bool {
        guard isLive(handle) else { return false }
        unlink(handle.slot)
        _ = release(handle.slot)
        return true
    }

    /// Whether `handle` names a timer that has neither fired nor been cancelled.
    public func isScheduled(_ handle: TimerHandle) -> Bool {
        isLive(handle)
    }

    /// Moves the wheel's clock to `now`, calling `fire` for every timer that is due by then.
    ///
    /// Due means the deadline, rounded up to a tick boundary, is at or before `now`, or the
    /// deadline had already passed when the timer was scheduled (see the type's firing rule).
    ///
    /// `fire` must not touch this wheel (Swift's exclusivity rules forbid it); collect
    /// follow-up work and schedule it after `advance` returns. A `now` earlier than the
    /// wheel's clock leaves the clock where it is.
    public mutating func advance(toNanoseconds now: UInt64, _ fire: (Payload) -> Void) {
        // These deadlines had already passed when they were scheduled, so they come first.
        fireBucket(TimerWheel.dueBucket, fire)
        guard now > currentNanoseconds else { return }
        currentNanoseconds = now
        let nowTick = (now - startNanoseconds) / tickNanoseconds
        while nextTick <= nowTick {
            if nextTick & TimerWheel.slotMask == 0 {
                cascade(at: nextTick)
            }
            fireBucket(Int(nextTick & TimerWheel.slotMask), fire)
            nextTick += 1
            skipEmptyTicks(upTo: nowTick)
        }
    }

    /// A time at or before the earliest pending deadline, or nil when no timer is pending.
    ///
    /// Exact when the earliest timer is within 64 ticks; otherwise it is the time at which
    /// that timer's bucket cascades, so a caller that sleeps until this time and advances
    /// simply asks again.
    public func nextDeadlineNanoseconds() -> UInt64? {
        guard count > 0 else { return nil }
        if bucketHeads[TimerWheel.dueBucket] != TimerWheel.none {
            return currentNanoseconds
        }
        var earliestTick = UInt64.max
        for level in 0..<TimerWheel.levelCount where occupiedSlots[level] != 0 {
            earliestTick = min(earliestTick, nextCascadeTick(level: level))
        }
        let (offset, overflow) = earliestTick.multipliedReportingOverflow(by: tickNanoseconds)
        let (time, overflowAgain) = startNanoseconds.addingReportingOverflow(offset)
        return overflow || overflowAgain ? UInt64.max : time
    }

    // MARK: - Slab

    private func isLive(_ handle: TimerHandle) -> Bool {
        Int(handle.slot) < nodes.count
            && handle.generation & 1 == 1
            && nodes[Int(handle.slot)].generation == handle.generation
    }

    private mutating func allocateNode(payload: Payload) -> UInt32 {
        count += 1
        if freeHead != TimerWheel.none {
            let index = freeHead
            freeHead = nodes[Int(index)].next
            nodes[Int(index)].generation &+= 1
            nodes[Int(index)].payload = payload
            return index
        }
        // Slot numbers must leave the head marker bit and the `none` value free.
        precondition(nodes.count < Int(TimerWheel.headMarker), "timer wheel slab is full")
        nodes.append(Node(deadlineTick: 0, payload: payload, previous: TimerWheel.none, next: TimerWheel.none, generation: 1))
        return UInt32(nodes.count - 1)
    }

    /// Returns a node's slot to the free list and hands back its payload.
    private mutating func release(_ index: UInt32) -> Payload {
        count -= 1
        let payload = nodes[Int(index)].payload.take()!
        nodes[Int(index)].generation &+= 1
        nodes[Int(index)].previous = TimerWheel.none
        nodes[Int(index)].next = freeHead
        freeHead = index
        return payload
    }

    // MARK: - Buckets

    private mutating func link(_ index: UInt32, into bucket: Int) {
        let head = bucketHeads[bucket]
        nodes[Int(index)].previous = TimerWheel.headMarker | UInt32(bucket)
        nodes[Int(index)].next = head
        if head != TimerWheel.none {
            nodes[Int(head)].previous = index
        } else if bucket < TimerWheel.dueBucket {
            occupiedSlots[bucket >> TimerWheel.slotBits] |= 1 << UInt64(bucket & Int(TimerWheel.slotMask))
        }
        bucketHeads[bucket] = index
    }

    private mutating func unlink(_ index: UInt32) {
        let previous = nodes[Int(index)].previous
        let next = nodes[Int(index)].next
        if next != TimerWheel.none {
            nodes[Int(next)].previous = previous
        }
        if previous & TimerWheel.headMarker == 0 {
            nodes[Int(previous)].next = next
            return
        }
        let bucket = Int(previous & ~TimerWheel.headMarker)
        bucketHeads[bucket] = next
        if next == TimerWheel.none && bucket < TimerWheel.dueBucket {
            occupiedSlots[bucket >> TimerWheel.slotBits] &= ~(1 << UInt64(bucket & Int(TimerWheel.slotMask)))
        }
    }

    /// Empties a bucket and returns its first node; the rest follow through `next`.
    private mutating func detach(_ bucket: Int) -> UInt32 {
        let head = bucketHeads[bucket]
        bucketHeads[bucket] = TimerWheel.none
        if bucket < TimerWheel.dueBucket {
            occupiedSlots[bucket >> TimerWheel.slotBits] &= ~(1 << UInt64(bucket & Int(TimerWheel.slotMask)))
        }
        return head
    }

    /// Links a node into the bucket matching how far its deadline is from `nextTick`.
    private mutating func place(_ index: UInt32) {
        // Deadlines never trail nextTick here; the max only guards the invariant.
        var deadlineTick = max(nodes[Int(index)].deadlineTick, nextTick)
        var distance = deadlineTick - nextTick
        if distance >= TimerWheel.spanTicks {
            // Too far for the wheel: park it in the last top-level bucket in range. Its
            // real deadline stays in the node, so the cascade will place it again.
            distance = TimerWheel.spanTicks - 1
            deadlineTick = nextTick + distance
        }
        // The level is the number of whole 6-bit digits in the distance.
        let level = distance == 0 ? 0 : (63 - distance.leadingZeroBitCount) / TimerWheel.slotBits
        let slot = Int((deadlineTick >> UInt64(level * TimerWheel.slotBits)) & TimerWheel.slotMask)
        link(index, into: level * TimerWheel.slotsPerLevel + slot)
    }

    /// At a tick that starts a new level-0 rotation, moves due higher-level buckets down.
    ///
    /// A tick whose low 6k bits are all zero starts a rotation of every level below k+1,
    /// so level k's bucket for that tick is cascaded too.
    private mutating func cascade(at tick: UInt64) {
        for level in 1..<TimerWheel.levelCount {
            let slot = Int((tick >> UInt64(level * TimerWheel.slotBits)) & TimerWheel.slotMask)
            var index = detach(level * TimerWheel.slotsPerLevel + slot)
            while index != TimerWheel.none {
                let next = nodes[Int(index)].next
                place(index)
                index = next
            }
            if slot != 0 { break }
        }
    }

    private mutating func fireBucket(_ bucket: Int, _ fire: (Payload) -> Void) {
        var index = detach(bucket)
        while index != TimerWheel.none {
            let next = nodes[Int(index)].next
            fire(release(index))
            index = next
        }
    }

    /// Jumps `nextTick` over ticks in which nothing can fire or cascade.
    ///
    /// If levels 0..<k are empty, nothing happens before the next multiple of 64^k,
    /// where level k's next bucket cascades.
    private mutating func skipEmptyTicks(upTo nowTick: UInt64) {
        guard occupiedSlots[0] == 0 else { return }
        var level = 1
        while level < TimerWheel.levelCount && occupiedSlots[level] == 0 {
            level += 1
        }
        let limit = nowTick &+ 1
        if level == TimerWheel.levelCount {
            nextTick = max(nextTick, limit)
            return
        }
        let rotationMask = (UInt64(1) << UInt64(level * TimerWheel.slotBits)) - 1
        let boundary = (nextTick + rotationMask) & ~rotationMask
        nextTick = max(nextTick, min(boundary, limit))
    }

    /// The first tick at which a non-empty bucket of `level` fires (level 0) or cascades.
    private func nextCascadeTick(level: Int) -> UInt64 {
        let shift = UInt64(level * TimerWheel.slotBits)
        let bucketTicks = UInt64(1) << shift
        let rotationTicks = bucketTicks << UInt64(TimerWheel.slotBits)
        let occupied = occupiedSlots[level]
        let current = Int((nextTick >> shift) & TimerWheel.slotMask)
        let currentBit = UInt64(1) << UInt64(current)
        let laterSlots = occupied & ~((currentBit << 1) &- 1)
        let earlierSlots = occupied & (currentBit &- 1)
        let slot: Int
        if occupied & currentBit != 0 && nextTick & (bucketTicks - 1) == 0 {
            // The current bucket's turn is exactly nextTick and has not been handled yet.
            slot = current
        } else if laterSlots != 0 {
            slot = laterSlots.trailingZeroBitCount
        } else if earlierSlots != 0 {
            // Wrapped around: these buckets come due in the next rotation of this level.
            slot = earlierSlots.trailingZeroBitCount
        } else {
            slot = current
        }
        // Buckets at or behind the current one belong to the next rotation of this level.
        let rotationStart = nextTick & ~(rotationTicks - 1)
        var tick = rotationStart + UInt64(slot) << shift
        if tick < nextTick { tick += rotationTicks }
        return tick
    }
}

extension TimerWheel: Sendable where Payload: Sendable {}
extension TimerWheel.Node: Sendable where Payload: Sendable {}
