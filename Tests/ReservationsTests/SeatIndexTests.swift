import Reservations
import Testing

@Suite struct SeatIndexTests {
    private func seats(_ section: Int, _ numbers: ClosedRange<Int>) -> [SeatPosition] {
        numbers.map { SeatPosition(section: section, number: $0) }
    }

    private func seats(_ section: Int, _ numbers: [Int]) -> [SeatPosition] {
        numbers.map { SeatPosition(section: section, number: $0) }
    }

    @Test func bestAvailable_emptyEvent_takesLowestRunOfFirstSection() {
        let index = SeatIndex(sections: [("A", 10), ("B", 10)])
        #expect(index.bestAvailable(3) == seats(0, 1...3))
    }

    @Test func bestAvailable_prefersAdjacentRunOverLowerScatteredSeats() {
        var index = SeatIndex(sections: [("A", 10)])
        // Free: 1, 3, 5, 7..10 — the lowest free seats are 1, 3, 5 but 7, 8, 9 are adjacent.
        do { let changed = index.hold(seats(0, [2, 4, 6])); #expect(changed) }
        #expect(index.bestAvailable(3) == seats(0, 7...9))
    }

    @Test func bestAvailable_runInLaterSectionBeatsScatteredSeatsInFirst() {
        var index = SeatIndex(sections: [("A", 6), ("B", 4)])
        do { let changed = index.hold(seats(0, [2, 4, 6])); #expect(changed) }
        #expect(index.bestAvailable(2) == seats(1, 1...2))
    }

    @Test func bestAvailable_runsFollowSectionOrderNotName() {
        let index = SeatIndex(sections: [("Z", 5), ("A", 5)])
        #expect(index.bestAvailable(5) == seats(0, 1...5))
    }

    @Test func bestAvailable_noRunAnywhere_takesLowestFreeOfFirstSectionWithEnough() {
        var index = SeatIndex(sections: [("A", 4), ("B", 8)])
        // A keeps only seat 1 free; B keeps 2, 4, 6, 8 free: no section has 3 adjacent.
        do { let changed = index.hold(seats(0, 2...4)); #expect(changed) }
        do { let changed = index.hold(seats(1, [1, 3, 5, 7])); #expect(changed) }
        #expect(index.bestAvailable(3) == seats(1, [2, 4, 6]))
    }

    @Test func bestAvailable_noSectionHasEnough_takesLowestFreeAcrossSections() {
        var index = SeatIndex(sections: [("A", 3), ("B", 3), ("C", 3)])
        do { let changed = index.hold(seats(0, [1, 2])); #expect(changed) }
        do { let changed = index.hold(seats(1, [1, 3])); #expect(changed) }
        do { let changed = index.hold(seats(2, [2])); #expect(changed) }
        #expect(
            index.bestAvailable(4)
                == [SeatPosition(section: 0, number: 3), SeatPosition(section: 1, number: 2),
                    SeatPosition(section: 2, number: 1), SeatPosition(section: 2, number: 3)])
    }

    @Test func bestAvailable_notEnoughFree_isNil() {
        var index = SeatIndex(sections: [("A", 3), ("B", 2)])
        do { let changed = index.hold(seats(0, 1...3)); #expect(changed) }
        do { let changed = index.hold(seats(1, [1])); #expect(changed) }
        #expect(index.bestAvailable(2) == nil)
        #expect(index.bestAvailable(1) == seats(1, [2]))
        #expect(index.bestAvailable(0) == nil)
    }

    @Test func bestAvailable_runAcrossWordBoundary() {
        var index = SeatIndex(sections: [("A", 200)])
        // Free seats 62...67 straddle words 0 and 1 (bits 61...66); everything else in 1...128 is taken.
        do { let changed = index.hold(seats(0, 1...61)); #expect(changed) }
        do { let changed = index.hold(seats(0, 68...128)); #expect(changed) }
        #expect(index.bestAvailable(6) == seats(0, 62...67))
        #expect(index.bestAvailable(4) == seats(0, 62...65))
        // Seven adjacent first appear after 128.
        #expect(index.bestAvailable(7) == seats(0, 129...135))
    }

    @Test func bestAvailable_runLongerThanAWord() {
        var index = SeatIndex(sections: [("A", 300)])
        do { let changed = index.hold(seats(0, [10, 100])); #expect(changed) }
        #expect(index.bestAvailable(80) == seats(0, 11...90))
        #expect(index.bestAvailable(150) == seats(0, 101...250))
    }

    @Test func bestAvailable_wordBoundarySeats63_64_65() {
        for count in [63, 64, 65] {
            var index = SeatIndex(sections: [("A", count)])
            #expect(index.bestAvailable(count) == seats(0, 1...count), "whole section of \(count)")
            #expect(index.bestAvailable(count + 1) == nil)
            do { let changed = index.hold(seats(0, 1...(count - 1))); #expect(changed) }
            #expect(index.bestAvailable(1) == seats(0, [count]), "last seat of \(count)")
            #expect(index.bestAvailable(2) == nil)
        }
    }

    @Test func hold_lastSeatOfSection_isIndependentOfNextSection() {
        var index = SeatIndex(sections: [("A", 65), ("B", 64)])
        do { let changed = index.hold(seats(0, [65])); #expect(changed) }
        #expect(index.status(of: SeatPosition(section: 0, number: 65)) == .held)
        #expect(index.status(of: SeatPosition(section: 1, number: 1)) == .available)
        do { let changed = index.hold(seats(1, [64])); #expect(changed) }
        #expect(index.sections.map(\.held) == [1, 1])
        // Padding bits past seat 65 never count as free seats.
        #expect(index.status(of: SeatPosition(section: 0, number: 66)) == nil)
        do { let changed = index.hold(seats(0, [66])); #expect(!changed) }
    }

    @Test func hold_isAllOrNothing() {
        var index = SeatIndex(sections: [("A", 10)])
        do { let changed = index.hold(seats(0, [5])); #expect(changed) }
        do { let changed = index.hold(seats(0, [4, 5, 6])); #expect(!changed) }
        #expect(index.status(of: SeatPosition(section: 0, number: 4)) == .available)
        do { let changed = index.hold(seats(0, [7, 7])); #expect(!changed, "duplicates are refused") }
        do { let changed = index.hold(seats(0, [9, 11])); #expect(!changed, "a seat past the end is refused") }
        do { let changed = index.hold([SeatPosition(section: 1, number: 1)]); #expect(!changed, "an unknown section is refused") }
        #expect(index.available == 9 && index.held == 1)
    }

    @Test func holdReleaseSell_keepCountersBalanced() {
        var index = SeatIndex(sections: [("A", 10), ("B", 5)])
        do { let changed = index.hold(seats(0, 1...4)); #expect(changed) }
        do { let changed = index.hold(seats(1, [1, 2])); #expect(changed) }
        do { let changed = index.release(seats(0, [1, 2])); #expect(changed) }
        do { let changed = index.sell(seats(0, [3, 4])); #expect(changed) }
        do { let changed = index.sell(seats(1, [1])); #expect(changed) }
        #expect(index.sections.map(\.available) == [8, 3])
        #expect(index.sections.map(\.held) == [0, 1])
        #expect(index.sections.map(\.sold) == [2, 1])
        #expect(index.available + index.held + index.sold == index.totalSeats)
        #expect(index.counts.available == 11 && index.counts.held == 1 && index.counts.sold == 3)
        #expect(index.status(of: SeatPosition(section: 0, number: 3)) == .sold)
        #expect(index.status(of: SeatPosition(section: 0, number: 1)) == .available)
    }

    @Test func releaseAndSell_requireHeldSeats() {
        var index = SeatIndex(sections: [("A", 5)])
        do { let changed = index.release(seats(0, [1])); #expect(!changed) }
        do { let changed = index.sell(seats(0, [1])); #expect(!changed) }
        do { let changed = index.hold(seats(0, [1, 2])); #expect(changed) }
        do { let changed = index.sell(seats(0, [1])); #expect(changed) }
        do { let changed = index.release(seats(0, [1, 2])); #expect(!changed, "seat 1 is sold, so nothing is released") }
        #expect(index.status(of: SeatPosition(section: 0, number: 2)) == .held)
        do { let changed = index.hold(seats(0, [1])); #expect(!changed, "a sold seat cannot be held") }
    }

    @Test func restore_setsStatusFromStoredRows() {
        var index = SeatIndex(sections: [("A", 5)])
        do { let changed = index.restore(SeatPosition(section: 0, number: 2), as: .held); #expect(changed) }
        do { let changed = index.restore(SeatPosition(section: 0, number: 3), as: .sold); #expect(changed) }
        do { let changed = index.restore(SeatPosition(section: 0, number: 3), as: .held); #expect(!changed) }
        #expect(index.sections[0].available == 3 && index.sections[0].held == 1 && index.sections[0].sold == 1)
    }

    @Test func bestAvailable_millionSeatSectionMostlyFull_findsTheFreeTail() {
        var index = SeatIndex(sections: [("A", 1_000_000), ("B", 10)])
        do { let changed = index.hold(section: 0, numbers: Array(1...999_990)); #expect(changed) }
        do { let changed = index.hold(section: 1, numbers: Array(1...10)); #expect(changed) }
        #expect(index.bestAvailable(4) == seats(0, 999_991...999_994))
        #expect(index.bestAvailable(10) == seats(0, 999_991...1_000_000))
        #expect(index.bestAvailable(11) == nil)
    }

    @Test func seatIDs_roundTripThroughPositions() {
        let index = SeatIndex(sections: [("A", 20), ("VIP1", 3)])
        #expect(index.position(of: "A-12") == SeatPosition(section: 0, number: 12))
        #expect(index.position(of: "VIP1-3") == SeatPosition(section: 1, number: 3))
        #expect(index.position(of: "VIP1-4") == nil)
        #expect(index.position(of: "B-1") == nil)
        #expect(index.seatID(of: SeatPosition(section: 1, number: 2)) == "VIP1-2")
        #expect(index.sectionIndex(named: "VIP1") == 1)
    }
}

@Suite struct SeatIDTests {
    @Test func parse_acceptsCanonicalIDs() {
        #expect(SeatID.parse("A-12")! == ("A", 12))
        #expect(SeatID.parse("Balcony2-1000000")! == ("Balcony2", 1_000_000))
        #expect(SeatID.format(section: "A", number: 2) == "A-2")
    }

    @Test(arguments: ["", "A", "A-", "-1", "A-0", "A-012", "A-+1", "A-1x", "A B-1", "A-1000001", "ABCDEFGHIJKLMNOPQ-1", "Ä-1"])
    func parse_rejectsNonCanonical(_ text: String) {
        #expect(SeatID.parse(text) == nil)
    }

    @Test func positions_orderBySectionThenNumber() {
        let a2 = SeatPosition(section: 0, number: 2)
        let a12 = SeatPosition(section: 0, number: 12)
        let b1 = SeatPosition(section: 1, number: 1)
        #expect([b1, a12, a2].sorted() == [a2, a12, b1])
    }
}
