@testable import EventLoop
import Testing

@Suite struct DeadlineWheelTests {
    private func due(_ wheel: inout DeadlineWheel, at now: Int64) -> [UInt32] {
        var entries: [UInt64] = []
        wheel.collectDue(at: now, into: &entries)
        return entries.map { UInt32(truncatingIfNeeded: $0) }.sorted()
    }

    @Test func entry_isDueAtItsTickNeverBefore() {
        var wheel = DeadlineWheel(tickMilliseconds: 100, slotCount: 16)
        wheel.insert(slot: 1, generation: 0, atMilliseconds: 1_250, now: 1_000)
        #expect(due(&wheel, at: 1_100).isEmpty)
        #expect(due(&wheel, at: 1_299).isEmpty)
        #expect(due(&wheel, at: 1_300) == [1])
        #expect(wheel.count == 0)
    }

    @Test func farDeadline_waitsAtTheEndOfTheSpanToBeQueuedAgain() {
        var wheel = DeadlineWheel(tickMilliseconds: 100, slotCount: 8)
        wheel.insert(slot: 7, generation: 3, atMilliseconds: 10_000, now: 0)
        // The span is 8 ticks: the entry comes due early, for the loop to re-queue it.
        #expect(due(&wheel, at: 700) == [7])
    }

    @Test func longSleep_collectsEveryBucketOnce() {
        var wheel = DeadlineWheel(tickMilliseconds: 10, slotCount: 32)
        for slot in 0..<20 { wheel.insert(slot: UInt32(slot), generation: 0, atMilliseconds: Int64(slot * 10 + 5), now: 0) }
        #expect(due(&wheel, at: 1_000_000) == (0..<20).map(UInt32.init))
        #expect(due(&wheel, at: 2_000_000).isEmpty)
    }

    @Test func generation_travelsWithTheEntry() {
        var wheel = DeadlineWheel(tickMilliseconds: 10, slotCount: 32)
        wheel.insert(slot: 5, generation: 9, atMilliseconds: 20, now: 0)
        var entries: [UInt64] = []
        wheel.collectDue(at: 100, into: &entries)
        #expect(entries == [UInt64(9) << 32 | 5])
    }
}
