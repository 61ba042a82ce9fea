@testable import Storage
import Testing

@Suite struct HoldDeadlinesTests {
    @Test func earliest_neverPassesTheTrueEarliest_andFollowsUntracking() {
        var deadlines = HoldDeadlines(tickMilliseconds: 10, originMs: 0)
        #expect(deadlines.earliestMs() == nil)
        for (key, deadline) in [(1, 5_000), (2, 1_000), (3, 3_000), (4, 1_000)] as [(Int64, Int64)] {
            deadlines.track(key: key, deadlineMs: deadline)
        }
        #expect(deadlines.count == 4)
        #expect(deadlines.earliestMs().map { $0 <= 1_000 } == true)
        #expect(deadlines.untrack(key: 2) == 1_000)
        #expect(deadlines.untrack(key: 4) == 1_000)
        #expect(deadlines.untrack(key: 4) == nil, "already gone")
        deadlines.advance(to: 2_990)
        #expect(!deadlines.hasFired, "cancelled timers never fire")
        deadlines.advance(to: 3_000)
        #expect(deadlines.hasFired)
        #expect(deadlines.earliestMs() == 3_000)
        #expect(deadlines.deadline(of: 1) == 5_000 && deadlines.count == 2)
    }

    @Test func reminder_firesAtItsTickNeverEarly() {
        var deadlines = HoldDeadlines(tickMilliseconds: 10, originMs: 0)
        deadlines.track(key: 7, deadlineMs: 1_234)
        deadlines.advance(to: 1_233)
        #expect(!deadlines.hasFired)
        #expect(deadlines.mayBeDue(atMs: 1_233), "a deadline inside the current tick may be due")
        deadlines.advance(to: 1_240)
        #expect(deadlines.hasFired, "at most one tick late")
    }

    @Test func removeDue_namesOnlyHoldsStillLive() {
        var deadlines = HoldDeadlines(tickMilliseconds: 1, originMs: 0)
        for key in Int64(1)...100 {
            deadlines.track(key: key, deadlineMs: (key * 37) % 101)
        }
        for key in Int64(1)...100 where key % 2 == 0 {
            deadlines.untrack(key: key)
        }
        let stillLive = deadlines.removeDue(atOrBefore: 50)
        let expected: Set<Int64> = Set((Int64(1)...100).filter { key in key % 2 == 1 && (key * 37) % 101 <= 50 })
        #expect(Set(stillLive) == expected)
        #expect(!deadlines.hasFired)
        // A hold tracked again after an undo reappears with its deadline.
        deadlines.track(key: 2, deadlineMs: 10)
        deadlines.advance(to: 51)
        #expect(deadlines.hasFired && deadlines.earliestMs() == 10)
    }

    @Test func twoMillionLiveHolds_fitTheWheel() {
        var deadlines = HoldDeadlines(tickMilliseconds: 10, originMs: 0)
        for key in Int64(0)..<2_000_000 { deadlines.track(key: key, deadlineMs: 60_000 + key % 60_000) }
        #expect(deadlines.count == 2_000_000)
        deadlines.advance(to: 60_000)
        #expect(deadlines.hasFired)
    }
}
