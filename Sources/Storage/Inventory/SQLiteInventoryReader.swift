import Reservations

/// Inventory reads for one event-loop thread, on its own read-only connection.
///
/// Every query is a primary-key lookup or a bounded primary-key range read, so a GET never scans
/// an event. An unfiltered seat page reads one row more than it returns. A page filtered by status
/// skips the sections whose counters have no seat in that status, reads on until it has a match,
/// and then stops after `maxRowsExaminedPerPage` rows (with a cursor to continue); a page with no
/// match yet reads at most `maxRowsScannedForFirstMatch` rows before it returns empty with a cursor.
public final class SQLiteInventoryReader: InventoryReader, @unchecked Sendable {
    // @unchecked Sendable: the reader belongs to one loop thread, like its connection (whose debug
    // owner check runs on every query). The only cross-thread move is handing it to that thread
    // before first use, which the thread start orders.

    /// Most seat rows a filtered page that has found matches reads.
    public static let maxRowsExaminedPerPage = 4_096
    /// Most seat rows a filtered page reads while it has found no match (a few milliseconds of
    /// clustered range reads), so that sparse statuses rarely give an empty page.
    public static let maxRowsScannedForFirstMatch = 65_536
    /// Event definitions kept for seat listings; they never change once an event is complete.
    static let cacheLimit = 1_024

    /// The read-only connection.
    public let connection: SQLiteConnection
    /// Complete events' definitions by id, for seat listings (counters are always read fresh).
    private var definitions: [EventID: Event] = [:]

    /// Opens a read-only connection to `path`; the writer must have created the file (in WAL mode).
    public convenience init(path: String, options: SQLiteOptions = SQLiteOptions()) throws {
        try self.init(connection: SQLiteConnection(path: path, mode: .readOnly, options: options))
    }

    /// Reads through `connection`, which this reader then owns.
    public init(connection: SQLiteConnection) {
        self.connection = connection
    }

    /// Makes the calling thread the owner (see `SQLiteConnection.claim()`).
    public func claim() {
        connection.claim()
    }

    public func event(_ id: EventID) throws -> (event: Event, counts: InventoryCounts)? {
        guard let found = try InventoryQueries.event(connection, id: id) else { return nil }
        remember(found.event)
        return found
    }

    public func seats(
        eventID: EventID, status: SeatStatus?, section: String?, limit: Int, cursor: String?
    ) throws -> SeatPage {
        var problems: [FieldProblem] = []
        if limit < SeatListing.minLimit || limit > SeatListing.maxLimit {
            problems.append(
                FieldProblem(field: "limit", problem: "must be between \(SeatListing.minLimit) and \(SeatListing.maxLimit)"))
        }
        let after = cursor.map(Self.decodeCursor)
        if case .some(nil) = after {
            problems.append(FieldProblem(field: "cursor", problem: "is not a cursor from this listing"))
        }
        guard problems.isEmpty else { throw DomainError.invalid(problems) }
        guard let event = try definition(eventID) else { throw DomainError.eventNotFound }

        var sectionIndex: Int?
        if let section {
            guard let found = event.sections.firstIndex(where: { $0.name == section }) else {
                throw DomainError.invalid([FieldProblem(field: "section", problem: "is not a section of this event")])
            }
            sectionIndex = found
        }
        let start = (after ?? nil) ?? SeatPosition(section: 0, number: 0)
        guard let status else { return try unfilteredSeats(event, section: sectionIndex, from: start, limit: limit) }
        return try filteredSeats(event, status: status, section: sectionIndex, from: start, limit: limit)
    }

    /// Every seat from `start` on: one row past the page shows whether more exist.
    private func unfilteredSeats(_ event: Event, section sectionIndex: Int?, from start: SeatPosition, limit: Int) throws -> SeatPage {
        let statement: SQLiteStatement
        if let sectionIndex {
            if start.section > sectionIndex { return SeatPage(seats: [], nextCursor: nil) }
            statement = try connection.statement(Self.sectionRowsSQL)
            try statement.bindAll(
                .integer(event.key), .integer(Int64(sectionIndex)),
                .integer(start.section == sectionIndex ? Int64(start.number) : 0), .integer(Int64(limit + 1)))
        } else {
            statement = try connection.statement(
                """
                SELECT section_index, seat_number, status FROM seats
                WHERE event_key = ?1 AND (section_index, seat_number) > (?2, ?3)
                ORDER BY section_index, seat_number LIMIT ?4
                """)
            try statement.bindAll(
                .integer(event.key), .integer(Int64(start.section)), .integer(Int64(start.number)), .integer(Int64(limit + 1)))
        }
        defer { statement.reset() }
        var seats: [SeatInfo] = []
        seats.reserveCapacity(min(limit, 256))
        var last: SeatPosition?
        while try statement.step() {
            if seats.count == limit { return SeatPage(seats: seats, nextCursor: Self.encodeCursor(last!)) }
            let position = SeatPosition(section: statement.int(0), number: statement.int(1))
            seats.append(Self.info(event, position, InventoryQueries.seatStatus(statement.int64(2))))
            last = position
        }
        return SeatPage(seats: seats, nextCursor: nil)
    }

    /// Seats in `status` from `start` on, section by section (skipping sections whose counters
    /// have none), in chunks of rows.
    private func filteredSeats(
        _ event: Event, status: SeatStatus, section sectionIndex: Int?, from start: SeatPosition, limit: Int
    ) throws -> SeatPage {
        let candidates = try InventoryQueries.sectionsWithSeats(connection, eventKey: event.key, in: status)
        let statement = try connection.statement(Self.sectionRowsSQL)
        defer { statement.reset() }
        var seats: [SeatInfo] = []
        seats.reserveCapacity(min(limit, 256))
        var examined = 0
        var last = start
        var section = sectionIndex.map { max($0, start.section) } ?? start.section
        var number = section == start.section ? start.number : 0
        while section < event.sections.count, sectionIndex == nil || section == sectionIndex {
            if !candidates.contains(section) {
                section += 1
                number = 0
                continue
            }
            let chunk = Self.maxRowsExaminedPerPage
            statement.reset()
            try statement.bindAll(.integer(event.key), .integer(Int64(section)), .integer(Int64(number)), .integer(Int64(chunk)))
            var rows = 0
            while try statement.step() {
                rows += 1
                examined += 1
                let position = SeatPosition(section: section, number: statement.int(1))
                if InventoryQueries.seatStatus(statement.int64(2)) == status {
                    // A further match exists: the page is full and the next one starts after the last seat on it.
                    if seats.count == limit { return SeatPage(seats: seats, nextCursor: Self.encodeCursor(last)) }
                    seats.append(Self.info(event, position, status))
                }
                last = position
            }
            if rows < chunk {
                section += 1
                number = 0
            } else {
                number = last.number
            }
            let budget = seats.isEmpty ? Self.maxRowsScannedForFirstMatch : Self.maxRowsExaminedPerPage
            if examined >= budget, section < event.sections.count, sectionIndex == nil || section == sectionIndex {
                // Out of budget with rows left: continue from the last row read.
                return SeatPage(seats: seats, nextCursor: Self.encodeCursor(last))
            }
        }
        return SeatPage(seats: seats, nextCursor: nil)
    }

    /// One section's rows after a seat number, in order (`?1` event, `?2` section, `?3` number, `?4` limit).
    private static let sectionRowsSQL = """
        SELECT section_index, seat_number, status FROM seats
        WHERE event_key = ?1 AND section_index = ?2 AND seat_number > ?3
        ORDER BY seat_number LIMIT ?4
        """

    private static func info(_ event: Event, _ position: SeatPosition, _ status: SeatStatus) -> SeatInfo {
        let definition = event.sections[position.section]
        return SeatInfo(seatID: SeatID.format(section: definition.name, number: position.number),
                        section: definition.name, status: status, priceMinor: definition.priceMinor)
    }

    public func reservation(_ id: ReservationID) throws -> Reservation? {
        try ReservationQueries.reservation(connection, id: id)?.reservation
    }

    public func reservations(of userID: UserID, before: ListingPosition?, limit: Int) throws
        -> [(reservation: Reservation, position: ListingPosition)]
    {
        try ReservationQueries.reservations(connection, userID: userID, beforeKey: before?.value ?? Int64.max, limit: limit)
            .map { ($0.reservation, ListingPosition($0.key)) }
    }

    public func eventDefinition(_ id: EventID) throws -> Event? {
        try definition(id)
    }

    public func resetStatements() {
        connection.resetAll()
    }

    // MARK: Event definitions

    private func definition(_ id: EventID) throws -> Event? {
        if let cached = definitions[id] { return cached }
        return try event(id)?.event
    }

    private func remember(_ event: Event) {
        if definitions.count >= Self.cacheLimit, definitions[event.id] == nil {
            definitions.removeAll(keepingCapacity: true)
        }
        definitions[event.id] = event
    }

    // MARK: Cursors

    /// The cursor after `position`: 16 lowercase hex digits of section (high half) and number.
    static func encodeCursor(_ position: SeatPosition) -> String {
        let packed = UInt64(position.section) << 32 | UInt64(position.number)
        let digits = String(packed, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The position a cursor encodes, or nil when it is not one.
    static func decodeCursor(_ text: String) -> SeatPosition? {
        guard text.utf8.count == 16,
            text.utf8.allSatisfy({ ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) }),
            let packed = UInt64(text, radix: 16)
        else { return nil }
        return SeatPosition(section: Int(packed >> 32), number: Int(packed & 0xFFFF_FFFF))
    }
}
