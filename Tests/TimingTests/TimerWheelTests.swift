import Testing
import Timing
import TestSupport

private let tickNanoseconds: UInt64 = 10_000_000
private let startNanoseconds: UInt64 = 1_000_000_000_000

/// Ticks spanned by levels 0...level of a wheel with 64 slots per level.
private func levelSpanTicks(_ level: Int) -> UInt64 { 1 << UInt64(6 * (level + 1)) }

/// The time at which a timer scheduled ahead of its deadline is due: the deadline
/// rounded up to the next tick boundary.
private func dueNanoseconds(_ deadline: UInt64) -> UInt64 {
    let ticks = (deadline - startNanoseconds + tickNanoseconds - 1) / tickNanoseconds
    return startNanoseconds + ticks * tickNanoseconds
}

/// Advances to just before and then exactly to each due time, checking after every
/// step that exactly the timers due by then have fired.
private func expectFiresExactlyWhenDue(_ wheel: inout TimerWheel<UInt64>, deadlines: [UInt64]) {
    var fired: [UInt64] = []
    for due in Set(deadlines.map(dueNanoseconds)).sorted() {
        for now in [due - 1, due] {
            wheel.advance(toNanoseconds: now) { fired.append($0) }
            let expected = deadlines.filter { dueNanoseconds($0) <= now }.sorted()
            #expect(fired.sorted() == expected, "at \(now)")
        }
    }
    #expect(wheel.count == 0)
}

@Test func timerWheel_advance_firesAtRoundedDeadlineAndNotBefore() {
    var wheel = TimerWheel<UInt64>(tickNanoseconds: tickNanoseconds, startNanoseconds: startNanoseconds)
    // Deadlines exactly on, just before and just after a tick boundary.
    let deadlines = [15, 20, 21, 29, 30, 31].map { startNanoseconds + $0 * 1_000_000 }
    for deadline in deadlines {
        _ = wheel.schedule(deadlineNanoseconds: deadline, payload: deadline)
    }
    #expect(wheel.count == deadlines.count)
    expectFiresExactlyWhenDue(&wheel, deadlines: deadlines)
}

@Test(arguments: 0..<6)
func timerWheel_advance_handlesEveryLevelBoundary(level: Int) {
    // Start from an unaligned tick too, so boundaries do not coincide with rotations.
    for phaseTicks: UInt64 in [0, 37] {
        var wheel = TimerWheel<UInt64>(tickNanoseconds: tickNanoseconds, startNanoseconds: startNanoseconds)
        let origin = startNanoseconds + phaseTicks * tickNanoseconds + 3
        wheel.advance(toNanoseconds: origin) { _ in }
        var deadlines: [UInt64] = []
        let span = levelSpanTicks(level)
        for ticks in [span - 1, span, span + 1] {
            let boundary = origin + ticks * tickNanoseconds
            deadlines += [boundary - 1, boundary, boundary + 1]
        }
        for deadline in deadlines {
            _ = wheel.schedule(deadlineNanoseconds: deadline, payload: deadline)
        }
        expectFiresExactlyWhenDue(&wheel, deadlines: deadlines)
    }
}

@Test func timerWheel_advance_firesDeadlinesBeyondTheWheelSpan() {
    var wheel = TimerWheel<UInt64>(tickNanoseconds: tickNanoseconds, startNanoseconds: startNanoseconds)
    let span = levelSpanTicks(5)
    let deadlines = [span * 2 + 5, span * 3 - 1, span * 3].map { startNanoseconds + $0 * tickNanoseconds }
    for deadline in deadlines {
        _ = wheel.schedule(deadlineNanoseconds: deadline, payload: deadline)
    }
    expectFiresExactlyWhenDue(&wheel, deadlines: deadlines)
}

@Test func timerWheel_schedule_pastDeadlineFiresOnNextAdvance() {
    var wheel = TimerWheel<UInt64>(tickNanoseconds: tickNanoseconds, startNanoseconds: startNanoseconds)
    wheel.advance(toNanoseconds: startNanoseconds + 12_345_678) { _ in }
    _ = wheel.schedule(deadlineNanoseconds: 0, payload: 1)
    _ = wheel.schedule(deadlineNanoseconds: startNanoseconds + 12_345_678, payload: 2)
    _ = wheel.schedule(deadlineNanoseconds: startNanoseconds + 12_345_679, payload: 3)
    var fired: [UInt64] = []
    // Time does not move, yet the two deadlines already passed fire.
    wheel.advance(toNanoseconds: startNanoseconds + 12_345_678) { fired.append($0) }
    #expect(fired.sorted() == [1, 2])
    // A deadline still ahead waits for its tick boundary as usual.
    wheel.advance(toNanoseconds: startNanoseconds + 12_345_679) { fired.append($0) }
    #expect(fired.sorted() == [1, 2])
    wheel.advance(toNanoseconds: startNanoseconds + 2 * tickNanoseconds) { fired.append($0) }
    #expect(fired.sorted() == [1, 2, 3])
}

@Test func timerWheel_advance_backwardsTimeChangesNothing() {
    var wheel = TimerWheel<UInt64>(tickNanoseconds: tickNanoseconds, startNanoseconds: startNanoseconds)
    wheel.advance(toNanoseconds: startNanoseconds + 100 * tickNanoseconds) { _ in }
    _ = wheel.schedule(deadlineNanoseconds: startNanoseconds + 101 * tickNanoseconds, payload: 1)
    var fired: [UInt64] = []
    wheel.advance(toNanoseconds: startNanoseconds) { fired.append($0) }
    #expect(fired.isEmpty)
    wheel.advance(toNanoseconds: startNanoseconds + 101 * tickNanoseconds) { fired.append($0) }
    #expect(fired == [1])
}

@Test func timerWheel_cancel_preventsFiringAndIsFalseTheSecondTime() {
    var wheel = TimerWheel<UInt64>(tickNanoseconds: tickNanoseconds, startNanoseconds: startNanoseconds)
    // One timer per level, so cancel is exercised wherever a timer may sit.
    var handles: [TimerHandle] = []
    for level in 0..<6 {
        let deadline = startNanoseconds + (levelSpanTicks(level) - 1) * tickNanoseconds
        handles.append(wheel.schedule(deadlineNanoseconds: deadline, payload: UInt64(level)))
    }
    let keep = wheel.schedule(deadlineNanoseconds: startNanoseconds + 70 * tickNanoseconds, payload: 99)
    for handle in handles {
        #expect(wheel.isScheduled(handle))
        let cancelledOnce = wheel.cancel(handle)
        #expect(cancelledOnce)
        let cancelledTwice = wheel.cancel(handle)
        #expect(!cancelledTwice)
        #expect(!wheel.isScheduled(handle))
    }
    #expect(wheel.count == 1)
    var fired: [UInt64] = []
    wheel.advance(toNanoseconds: startNanoseconds + levelSpanTicks(5) * tickNanoseconds) { fired.append($0) }
    #expect(fired == [99])
    let cancelledAfterFiring = wheel.cancel(keep)
    #expect(!cancelledAfterFiring)
    #expect(wheel.count == 0)
}

@Test func timerWheel_cancel_staleHandleAfterSlotReuseReturnsFalse() {
    var wheel = TimerWheel<UInt64>(tickNanoseconds: tickNanoseconds, startNanoseconds: startNanoseconds)
    let first = wheel.schedule(deadlineNanoseconds: startNanoseconds + 50 * tickNanoseconds, payload: 1)
    let cancelledFirst = wheel.cancel(first)
    #expect(cancelledFirst)
    let second = wheel.schedule(deadlineNanoseconds: startNanoseconds + 50 * tickNanoseconds, payload: 2)
    #expect(second.slot == first.slot)
    #expect(second.generation != first.generation)
    let cancelledStale = wheel.cancel(first)
    #expect(!cancelledStale)
    #expect(wheel.isScheduled(second))
    let cancelledUnknown = wheel.cancel(TimerHandle(slot: 12_345, generation: 1))
    #expect(!cancelledUnknown)
    var fired: [UInt64] = []
    wheel.advance(toNanoseconds: startNanoseconds + 50 * tickNanoseconds) { fired.append($0) }
    #expect(fired == [2])
    let cancelledAfterFiring = wheel.cancel(second)
    #expect(!cancelledAfterFiring)
}

@Test func timerWheel_cancel_middleOfBucketKeepsNeighbours() {
    var wheel = TimerWheel<UInt64>(tickNanoseconds: tickNanoseconds, startNanoseconds: startNanoseconds)
    let deadline = startNanoseconds + 5_000 * tickNanoseconds
    let handles = (0..<5).map { wheel.schedule(deadlineNanoseconds: deadline, payload: UInt64($0)) }
    let cancelledMiddle = wheel.cancel(handles[2])
    #expect(cancelledMiddle)
    let cancelledNewest = wheel.cancel(handles[4])
    #expect(cancelledNewest)
    let cancelledOldest = wheel.cancel(handles[0])
    #expect(cancelledOldest)
    var fired: [UInt64] = []
    wheel.advance(toNanoseconds: deadline) { fired.append($0) }
    #expect(fired.sorted() == [1, 3])
}

@Test func timerWheel_release_dropsPayloadsOfFiredAndCancelledTimers() {
    final class Token: Sendable {}
    var wheel = TimerWheel<Token>(tickNanoseconds: tickNanoseconds, startNanoseconds: startNanoseconds)
    weak var cancelled: Token?
    weak var fired: Token?
    do {
        let first = Token()
        let second = Token()
        cancelled = first
        fired = second
        let handle = wheel.schedule(deadlineNanoseconds: startNanoseconds + 100, payload: first)
        _ = wheel.schedule(deadlineNanoseconds: startNanoseconds + 100, payload: second)
        wheel.cancel(handle)
    }
    #expect(cancelled == nil)
    #expect(fired != nil)
    wheel.advance(toNanoseconds: startNanoseconds + tickNanoseconds) { _ in }
    #expect(fired == nil)
}

@Test func timerWheel_advance_randomDeadlinesFireOnceInTickOrder() {
    var generator = SeededGenerator(seed: 7)
    var wheel = TimerWheel<UInt32>(tickNanoseconds: tickNanoseconds, startNanoseconds: startNanoseconds)
    let timerCount = 100_000
    // Up to 64^3 ticks, so timers start in levels 0 to 2 and cascade through each.
    let horizonNanoseconds = levelSpanTicks(2) * tickNanoseconds
    var deadlines: [UInt64] = []
    deadlines.reserveCapacity(timerCount)
    for id in 0..<timerCount {
        let deadline = startNanoseconds + UInt64.random(in: 0...horizonNanoseconds, using: &generator)
        deadlines.append(deadline)
        _ = wheel.schedule(deadlineNanoseconds: deadline, payload: UInt32(id))
    }
    var fireCount = Array(repeating: 0, count: timerCount)
    var previousNow = startNanoseconds
    var now = startNanoseconds
    var previousDue: UInt64 = 0
    // Counted rather than expected one by one, to keep a failure report readable.
    var (early, late, outOfOrder) = (0, 0, 0)
    while wheel.count > 0 {
        now += UInt64.random(in: 1...(300 * tickNanoseconds), using: &generator)
        wheel.advance(toNanoseconds: now) { id in
            let deadline = deadlines[Int(id)]
            let due = dueNanoseconds(deadline)
            fireCount[Int(id)] += 1
            if deadline > now || due > now { early += 1 }
            if due <= previousNow { late += 1 }
            if due < previousDue { outOfOrder += 1 }
            previousDue = due
        }
        previousNow = now
    }
    #expect(early == 0)
    #expect(late == 0)
    #expect(outOfOrder == 0)
    #expect(fireCount.allSatisfy { $0 == 1 })
}

@Test func timerWheel_advance_bigJumpsFireSameTimersAsTickByTick() {
    var generator = SeededGenerator(seed: 11)
    var tickByTick = TimerWheel<UInt32>(tickNanoseconds: tickNanoseconds, startNanoseconds: startNanoseconds)
    var jumping = TimerWheel<UInt32>(tickNanoseconds: tickNanoseconds, startNanoseconds: startNanoseconds)
    let horizonTicks: UInt64 = 20_000
    for id in 0..<20_000 {
        let deadline = startNanoseconds + UInt64.random(in: 0...(horizonTicks * tickNanoseconds), using: &generator)
        _ = tickByTick.schedule(deadlineNanoseconds: deadline, payload: UInt32(id))
        _ = jumping.schedule(deadlineNanoseconds: deadline, payload: UInt32(id))
    }
    var tick: UInt64 = 0
    while tick < horizonTicks {
        // Jump to a random checkpoint, then require both wheels to have fired the same set.
        let checkpoint = min(horizonTicks, tick + UInt64.random(in: 1...3_000, using: &generator))
        var steppedIds: Set<UInt32> = []
        while tick < checkpoint {
            tick += 1
            tickByTick.advance(toNanoseconds: startNanoseconds + tick * tickNanoseconds) { steppedIds.insert($0) }
        }
        var jumpedIds: Set<UInt32> = []
        jumping.advance(toNanoseconds: startNanoseconds + checkpoint * tickNanoseconds) { jumpedIds.insert($0) }
        #expect(steppedIds == jumpedIds)
        #expect(tickByTick.count == jumping.count)
    }
    #expect(jumping.count == 0)
}

@Test func timerWheel_nextDeadline_isExactNearbyAndNeverPastTheDueTime() {
    var wheel = TimerWheel<UInt64>(tickNanoseconds: tickNanoseconds, startNanoseconds: startNanoseconds)
    #expect(wheel.nextDeadlineNanoseconds() == nil)
    let far = startNanoseconds + 100_000 * tickNanoseconds + 5
    let farHandle = wheel.schedule(deadlineNanoseconds: far, payload: 1)
    let farHint = wheel.nextDeadlineNanoseconds()
    let farDue = dueNanoseconds(far)
    #expect(farHint != nil && farHint! <= farDue && farHint! > startNanoseconds)
    // Rounded up to the tick boundary at or after the deadline.
    _ = wheel.schedule(deadlineNanoseconds: startNanoseconds + 3 * tickNanoseconds + 1, payload: 2)
    #expect(wheel.nextDeadlineNanoseconds() == startNanoseconds + 4 * tickNanoseconds)
    wheel.advance(toNanoseconds: startNanoseconds + 10 * tickNanoseconds) { _ in }
    _ = wheel.schedule(deadlineNanoseconds: 0, payload: 3)
    #expect(wheel.nextDeadlineNanoseconds() == startNanoseconds + 10 * tickNanoseconds)
    wheel.advance(toNanoseconds: startNanoseconds + 10 * tickNanoseconds) { _ in }
    // Following the hint repeatedly reaches the far timer without passing it.
    var fired: [UInt64] = []
    var steps = 0
    // Bounded, so a hint that stops making progress fails instead of hanging.
    while let hint = wheel.nextDeadlineNanoseconds(), steps < 100 {
        #expect(hint <= farDue)
        wheel.advance(toNanoseconds: hint) { fired.append($0) }
        steps += 1
    }
    #expect(fired == [1])
    #expect(!wheel.isScheduled(farHandle))
}

@Test func timerWheel_schedule_twoMillionTimersFitInMemoryTarget() {
    var wheel = TimerWheel<UInt64>(tickNanoseconds: tickNanoseconds, startNanoseconds: startNanoseconds)
    let timerCount = 2_000_000
    wheel.reserveCapacity(timerCount)
    // Hold-like deadlines spread over ten minutes to two days.
    var deadline = startNanoseconds + 600_000_000_000
    for id in 0..<UInt64(timerCount) {
        _ = wheel.schedule(deadlineNanoseconds: deadline, payload: id)
        deadline += 86_100_000
    }
    #expect(wheel.count == timerCount)
    #expect(wheel.estimatedMemoryBytes < 100_000_000)
}
