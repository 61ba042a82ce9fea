@testable import Storage
import Testing

@Suite struct HoldDeadlinesTests {
    @Test func earliest_skipsHoldsThatEndedEarlier() {
        var deadlines = HoldDeadlines()
        #expect(deadlines.earliestMs() == nil)
        for (key, deadline) in [(1, 500), (2, 100), (3, 300), (4, 100)] as [(Int64, Int64)] {
            deadlines.track(key: key, deadlineMs: deadline)
        }
        #expect(deadlines.count == 4 && deadlines.earliestMs() == 100)
        #expect(deadlines.untrack(key: 2) == 100)
        #expect(deadlines.untrack(key: 4) == 100)
        #expect(deadlines.untrack(key: 4) == nil, "already gone")
        #expect(deadlines.earliestMs() == 300, "stale entries are discarded lazily")
        #expect(deadlines.deadline(of: 1) == 500 && deadlines.count == 2)
    }

    @Test func removeDue_popsEverythingDue_andNamesOnlyHoldsStillLive() {
        var deadlines = HoldDeadlines()
        for key in Int64(1)...100 {
            deadlines.track(key: key, deadlineMs: (key * 37) % 101)
        }
        for key in Int64(1)...100 where key % 2 == 0 {
            deadlines.untrack(key: key)
        }
        let stillLive = deadlines.removeDue(atOrBefore: 50)
        let expected: Set<Int64> = Set((Int64(1)...100).filter { key in key % 2 == 1 && (key * 37) % 101 <= 50 })
        #expect(Set(stillLive) == expected)
        #expect(deadlines.earliestMs().map { $0 > 50 } == true)
        // A hold tracked again after an undo reappears with its deadline.
        deadlines.track(key: 2, deadlineMs: 10)
        #expect(deadlines.earliestMs() == 10)
    }
}
