/// The writer's in-memory inventory of one event: which seats are free, held or sold, with counters.
///
/// Per seat it keeps two bits in flat word arrays — one "free" bitset and one "held" bitset (a seat
/// in neither is sold) — so a 1,000,000-seat event costs about 250 KB. Each section starts on a word
/// boundary, bit `n - 1` of the section's words standing for seat `n`; bits past the last seat are
/// always zero, so scans never see phantom seats. Best-available searches work a 64-bit word at a
/// time, skip sections whose counters rule them out, and never visit seat rows in SQL.
///
/// The index is a value type owned by the writer thread; the writer changes it only after the
/// matching SQL change succeeded (DESIGN.md, "Storage").
public struct SeatIndex: Sendable, Equatable {
    /// Layout and counters of one section.
    public struct SectionState: Sendable, Hashable {
        /// Section name.
        public let name: String
        /// Seats in the section.
        public let seatCount: Int
        /// First word of the section in the bitsets.
        let firstWord: Int
        /// Words the section occupies.
        let wordCount: Int
        /// Seats free to hold.
        public internal(set) var available: Int
        /// Seats held.
        public internal(set) var held: Int
        /// Seats sold.
        public internal(set) var sold: Int
    }

    /// Sections in event order.
    public private(set) var sections: [SectionState]
    /// Bit set ⇔ seat free.
    private var free: [UInt64]
    /// Bit set ⇔ seat held.
    private var heldBits: [UInt64]
    /// Section index by name, for seat-id lookups.
    private let sectionByName: [String: Int]

    /// Creates an index with every seat free. Section names must be distinct and counts positive.
    public init(sections specs: [(name: String, seatCount: Int)]) {
        var states: [SectionState] = []
        var names: [String: Int] = [:]
        var words = 0
        for (position, spec) in specs.enumerated() {
            precondition(spec.seatCount > 0, "a section needs at least one seat")
            precondition(names.updateValue(position, forKey: spec.name) == nil, "duplicate section \(spec.name)")
            let count = (spec.seatCount + 63) / 64
            states.append(
                SectionState(
                    name: spec.name, seatCount: spec.seatCount, firstWord: words, wordCount: count,
                    available: spec.seatCount, held: 0, sold: 0))
            words += count
        }
        var free = [UInt64](repeating: ~0, count: words)
        for state in states where state.seatCount % 64 != 0 {
            // Clear the padding above the last seat so it never reads as free.
            free[state.firstWord + state.wordCount - 1] = (1 << UInt64(state.seatCount % 64)) - 1
        }
        self.sections = states
        self.free = free
        self.heldBits = [UInt64](repeating: 0, count: words)
        self.sectionByName = names
    }

    /// Creates an all-free index for `event`'s sections.
    public init(event: Event) {
        self.init(sections: event.sections.map { ($0.name, $0.seatCount) })
    }

    // MARK: Counters and lookups

    /// Seats in the event.
    public var totalSeats: Int { sections.reduce(0) { $0 + $1.seatCount } }
    /// Free seats in the event.
    public var available: Int { sections.reduce(0) { $0 + $1.available } }
    /// Held seats in the event.
    public var held: Int { sections.reduce(0) { $0 + $1.held } }
    /// Sold seats in the event.
    public var sold: Int { sections.reduce(0) { $0 + $1.sold } }

    /// Counters in the shared model's shape.
    public var counts: InventoryCounts {
        InventoryCounts(
            sections: sections.map {
                SectionCounts(name: $0.name, seatCount: $0.seatCount, available: $0.available, held: $0.held, sold: $0.sold)
            })
    }

    /// The index of the section called `name`.
    public func sectionIndex(named name: String) -> Int? {
        sectionByName[name]
    }

    /// The position of seat id `A-12`, or nil when no such seat exists in this event.
    public func position(of seatID: String) -> SeatPosition? {
        guard let (name, number) = SeatID.parse(seatID), let section = sectionByName[name],
            number <= sections[section].seatCount
        else { return nil }
        return SeatPosition(section: section, number: number)
    }

    /// The id text of `position` (which must exist).
    public func seatID(of position: SeatPosition) -> String {
        SeatID.format(section: sections[position.section].name, number: position.number)
    }

    /// Whether `position` names a seat of this event.
    public func contains(_ position: SeatPosition) -> Bool {
        position.section >= 0 && position.section < sections.count
            && position.number >= 1 && position.number <= sections[position.section].seatCount
    }

    /// The state of the seat at `position`, or nil when there is no such seat.
    public func status(of position: SeatPosition) -> SeatStatus? {
        guard contains(position) else { return nil }
        let (word, mask) = location(position)
        if free[word] & mask != 0 { return .available }
        return heldBits[word] & mask != 0 ? .held : .sold
    }

    // MARK: Changes

    /// Marks every seat in `seats` held if all of them exist, are distinct and are free; otherwise
    /// changes nothing and returns false (all or nothing).
    @discardableResult
    public mutating func hold(_ seats: [SeatPosition]) -> Bool {
        guard allDistinct(seats, in: .available) else { return false }
        for seat in seats {
            let (word, mask) = location(seat)
            free[word] &= ~mask
            heldBits[word] |= mask
            sections[seat.section].available -= 1
            sections[seat.section].held += 1
        }
        return true
    }

    /// Holds seats `numbers` of section `section`; see `hold(_:)`.
    @discardableResult
    public mutating func hold(section: Int, numbers: [Int]) -> Bool {
        hold(numbers.map { SeatPosition(section: section, number: $0) })
    }

    /// Makes held seats free again (cancel, expiry); all or nothing, false when any is not held.
    @discardableResult
    public mutating func release(_ seats: [SeatPosition]) -> Bool {
        guard allDistinct(seats, in: .held) else { return false }
        for seat in seats {
            let (word, mask) = location(seat)
            heldBits[word] &= ~mask
            free[word] |= mask
            sections[seat.section].held -= 1
            sections[seat.section].available += 1
        }
        return true
    }

    /// Turns held seats into sold ones (confirm); all or nothing, false when any is not held.
    @discardableResult
    public mutating func sell(_ seats: [SeatPosition]) -> Bool {
        guard allDistinct(seats, in: .held) else { return false }
        for seat in seats {
            let (word, mask) = location(seat)
            heldBits[word] &= ~mask
            sections[seat.section].held -= 1
            sections[seat.section].sold += 1
        }
        return true
    }

    /// Turns sold seats back into held ones; all or nothing, false when any is not sold. Only for
    /// undoing a confirm whose transaction rolled back: a committed sale is final.
    @discardableResult
    public mutating func revertSale(_ seats: [SeatPosition]) -> Bool {
        guard allDistinct(seats, in: .sold) else { return false }
        for seat in seats {
            let (word, mask) = location(seat)
            heldBits[word] |= mask
            sections[seat.section].sold -= 1
            sections[seat.section].held += 1
        }
        return true
    }

    /// Sets a free seat straight to `status`, for rebuilding the index from stored rows at start-up;
    /// false when the seat does not exist or is not free.
    @discardableResult
    public mutating func restore(_ seat: SeatPosition, as state: SeatStatus) -> Bool {
        guard status(of: seat) == .available else { return false }
        switch state {
        case .available: return true
        case .held: return hold([seat])
        case .sold:
            let (word, mask) = location(seat)
            free[word] &= ~mask
            sections[seat.section].available -= 1
            sections[seat.section].sold += 1
            return true
        }
    }

    // MARK: Best available

    /// The seats a hold of `quantity` without explicit seat ids gets, by API.md's rule, in seat order:
    /// 1. the lowest-numbered run of `quantity` adjacent free seats in one section, taking the
    ///    first section (in order) that has one;
    /// 2. otherwise the lowest-numbered `quantity` free seats of the first section with that many free;
    /// 3. otherwise the lowest-numbered `quantity` free seats of the event, across sections in order;
    /// nil when fewer than `quantity` seats are free in the event (or `quantity` < 1).
    public func bestAvailable(_ quantity: Int) -> [SeatPosition]? {
        guard quantity >= 1, available >= quantity else { return nil }
        for section in sections.indices where sections[section].available >= quantity {
            if let start = firstRun(of: quantity, in: section) {
                return (start..<start + quantity).map { SeatPosition(section: section, number: $0) }
            }
        }
        if let section = sections.indices.first(where: { sections[$0].available >= quantity }) {
            return lowestFree(quantity, sections: section..<section + 1)
        }
        return lowestFree(quantity, sections: sections.indices)
    }

    /// The first seat number of the lowest run of `length` free seats in `section`, or nil.
    ///
    /// Word by word: `carry` counts free seats running up to the end of the previous word. A run
    /// that crosses into this word starts `carry` seats back; one inside the word shows up in the
    /// word ANDed with itself shifted (after the loop, bit i is set iff bits i..<i+length are).
    func firstRun(of length: Int, in section: Int) -> Int? {
        let state = sections[section]
        var carry = 0
        for offset in 0..<state.wordCount {
            let word = free[state.firstWord + offset]
            if word == 0 {
                carry = 0
                continue
            }
            let base = offset * 64
            let lowFree = (~word).trailingZeroBitCount
            if carry > 0 && carry + lowFree >= length {
                return base - carry + 1
            }
            if length <= 64 {
                var starts = word
                var covered = 1
                while covered < length && starts != 0 {
                    let shift = min(covered, length - covered)
                    starts &= starts >> UInt64(shift)
                    covered += shift
                }
                if starts != 0 {
                    return base + starts.trailingZeroBitCount + 1
                }
            }
            carry = word == ~0 ? carry + 64 : (~word).leadingZeroBitCount
        }
        return nil
    }

    /// The lowest `quantity` free seats in `range` of sections, or nil when there are fewer.
    func lowestFree(_ quantity: Int, sections range: Range<Int>) -> [SeatPosition]? {
        var found: [SeatPosition] = []
        found.reserveCapacity(quantity)
        for section in range where sections[section].available > 0 {
            let state = sections[section]
            for offset in 0..<state.wordCount {
                var word = free[state.firstWord + offset]
                while word != 0 {
                    found.append(SeatPosition(section: section, number: offset * 64 + word.trailingZeroBitCount + 1))
                    if found.count == quantity { return found }
                    word &= word - 1
                }
            }
        }
        return nil
    }

    // MARK: Bits

    /// The word index and bit mask of a seat that exists.
    @inline(__always)
    private func location(_ seat: SeatPosition) -> (word: Int, mask: UInt64) {
        let bit = seat.number - 1
        return (sections[seat.section].firstWord + bit / 64, 1 << UInt64(bit % 64))
    }

    /// Whether every seat exists, appears once, and is in `status`.
    private func allDistinct(_ seats: [SeatPosition], in status: SeatStatus) -> Bool {
        var seen = Set<SeatPosition>(minimumCapacity: seats.count)
        for seat in seats {
            guard self.status(of: seat) == status, seen.insert(seat).inserted else { return false }
        }
        return true
    }
}
