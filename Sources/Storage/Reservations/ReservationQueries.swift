import Reservations

/// A reservation row with the storage keys the writer needs besides the domain value.
struct StoredReservation {
    /// `reservations.key`; what seat rows point at.
    let key: Int64
    /// `events.key` of the reservation's event.
    let eventKey: Int64
    /// The domain value (event id text joined in).
    let reservation: Reservation
}

/// SQL for reservations, orders and the outbox, shared by the writer and the readers. Every query
/// is a point lookup by a unique key, a range read of the live-holds index, or an append.
enum ReservationQueries {
    /// Columns every reservation query selects, in the order `decode` reads them.
    private static let columns = """
        r.key, r.event_key, e.id, r.id, r.user_id, r.seat_ids, r.quantity, r.status, r.hold_expires_at_ms,
        r.total_amount, r.currency, r.order_id, r.reservation_token, r.created_at_ms, r.updated_at_ms,
        r.extensions_used
        """

    /// The reservation with public id `id`, or nil. One lookup in the `id` UNIQUE index, one in the
    /// reservations table and one in the (small) events table.
    static func reservation(_ connection: SQLiteConnection, id: ReservationID) throws -> StoredReservation? {
        try connection.withStatement(
            "SELECT \(columns) FROM reservations r JOIN events e ON e.key = r.event_key WHERE r.id = ?"
        ) { statement in
            try statement.bind(1, id)
            return try statement.step() ? try decode(statement) : nil
        }
    }

    /// The sweep's query; see `dueHolds`. Parameters: ?1 now, ?2…?3 the position to continue after,
    /// ?4 the page size.
    static let dueHoldsSQL = """
        SELECT \(columns) FROM reservations r JOIN events e ON e.key = r.event_key
        WHERE r.status = 'HOLD' AND r.hold_expires_at_ms <= ?1
          AND r.hold_expires_at_ms >= ?2 AND (r.hold_expires_at_ms > ?2 OR r.key > ?3)
        ORDER BY r.hold_expires_at_ms, r.key LIMIT ?4
        """

    /// Up to `limit` HOLD reservations whose deadline is at or before `nowMs`, in (deadline, key)
    /// order, starting after the position (`afterDeadlineMs`, `afterKey`).
    ///
    /// `status = 'HOLD'` matches the partial index `reservations_live_holds` exactly, so this reads
    /// that small index in deadline order and never the whole table; the position lets a caller page
    /// through a large backlog and skip rows it could not expire. Rows are read completely before
    /// the statement is reset, so the caller may then change them.
    static func dueHolds(
        _ connection: SQLiteConnection, nowMs: Int64, afterDeadlineMs: Int64, afterKey: Int64, limit: Int
    ) throws -> [StoredReservation] {
        try connection.withStatement(dueHoldsSQL) { statement in
            try statement.bindAll(.integer(nowMs), .integer(afterDeadlineMs), .integer(afterKey), .integer(Int64(limit)))
            var rows: [StoredReservation] = []
            while try statement.step() { rows.append(try decode(statement)) }
            return rows
        }
    }

    /// Every live hold's key and deadline, in deadline order (start-up only; reads the partial index).
    static func liveHolds(_ connection: SQLiteConnection, _ body: (_ key: Int64, _ deadlineMs: Int64, _ owner: String) -> Void) throws {
        try connection.withStatement(
            "SELECT key, hold_expires_at_ms, user_id FROM reservations WHERE status = 'HOLD' ORDER BY hold_expires_at_ms"
        ) { statement in
            while try statement.step() { body(statement.int64(0), statement.int64(1), statement.string(2)) }
        }
    }

    /// Inserts a new reservation and returns its key.
    static func insert(_ connection: SQLiteConnection, _ reservation: Reservation, eventKey: Int64) throws -> Int64 {
        try connection.run(
            """
            INSERT INTO reservations(id, event_key, user_id, seat_ids, quantity, status, hold_expires_at_ms,
                total_amount, currency, order_id, reservation_token, created_at_ms, updated_at_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            .text(reservation.id), .integer(eventKey), .text(reservation.userID),
            .text(encodeSeatIDs(reservation.seatIDs)), .integer(Int64(reservation.quantity)),
            .text(reservation.status.rawValue), .integer(reservation.holdExpiresAtMs), .integer(reservation.totalAmount),
            .text(reservation.currency), SQLiteValue(reservation.orderID), SQLiteValue(reservation.reservationToken),
            .integer(reservation.createdAtMs), .integer(reservation.updatedAtMs))
        return connection.lastInsertRowID
    }

    /// Moves a HOLD reservation to a final `status`; returns the rows changed, which is 1 unless the
    /// reservation was no longer a HOLD (the condition is the last guard against a double transition).
    static func finishHold(
        _ connection: SQLiteConnection, key: Int64, status: ReservationStatus, orderID: OrderID?, nowMs: Int64
    ) throws -> Int {
        try connection.run(
            "UPDATE reservations SET status = ?, order_id = ?, updated_at_ms = ? WHERE key = ? AND status = 'HOLD'",
            .text(status.rawValue), SQLiteValue(orderID), .integer(nowMs), .integer(key))
    }

    /// Moves a HOLD's deadline; returns the rows changed, which is 1 unless it was no longer a HOLD.
    static func extendHold(
        _ connection: SQLiteConnection, key: Int64, deadlineMs: Int64, extensionsUsed: Int, nowMs: Int64
    ) throws -> Int {
        try connection.run(
            """
            UPDATE reservations SET hold_expires_at_ms = ?, extensions_used = ?, updated_at_ms = ?
            WHERE key = ? AND status = 'HOLD'
            """,
            .integer(deadlineMs), .integer(Int64(extensionsUsed)), .integer(nowMs), .integer(key))
    }

    /// At most `limit` of `userID`'s reservations with keys below `beforeKey`, newest first.
    ///
    /// The rows not yet copied into `reservations_by_user` (keys above the copy's progress, a short
    /// range read of the newest reservations), then the copied ones (a range read by user). No
    /// transaction is needed around them: the progress only grows and is read first, and the two
    /// reads cover disjoint key ranges, so a copy between them neither hides nor repeats a row.
    static func reservations(
        _ connection: SQLiteConnection, userID: UserID, beforeKey: Int64, limit: Int
    ) throws -> [StoredReservation] {
        let copied = try ListingIndex.copiedThrough(connection)
        var rows: [StoredReservation] = []
        if beforeKey > copied + 1 {
            try connection.withStatement(
                """
                SELECT \(columns) FROM reservations r JOIN events e ON e.key = r.event_key
                WHERE r.key > ?1 AND r.key < ?2 AND r.user_id = ?3 ORDER BY r.key DESC LIMIT ?4
                """
            ) { statement in
                try statement.bindAll(.integer(copied), .integer(beforeKey), .text(userID), .integer(Int64(limit)))
                while try statement.step() { rows.append(try decode(statement)) }
            }
        }
        guard rows.count < limit else { return rows }
        try connection.withStatement(
            """
            SELECT \(columns) FROM reservations_by_user u
            JOIN reservations r ON r.key = u.key JOIN events e ON e.key = r.event_key
            WHERE u.user_id = ?1 AND u.key < ?2 ORDER BY u.key DESC LIMIT ?3
            """
        ) { statement in
            try statement.bindAll(.text(userID), .integer(min(beforeKey, copied + 1)), .integer(Int64(limit - rows.count)))
            while try statement.step() { rows.append(try decode(statement)) }
        }
        return rows
    }

    /// Inserts the order of a confirmed reservation. The UNIQUE index on `reservation_key` refuses a
    /// second order for the same reservation.
    static func insertOrder(_ connection: SQLiteConnection, _ order: Order, reservationKey: Int64) throws {
        try connection.run(
            """
            INSERT INTO orders(id, reservation_key, user_id, payment_intent_id, total_amount, currency, status,
                created_at_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
            .text(order.id), .integer(reservationKey), .text(order.userID), .text(order.paymentIntentID),
            .integer(order.totalAmount), .text(order.currency), .text(order.status.rawValue), .integer(order.createdAtMs))
    }

    /// Appends an outbox row and returns its sequence.
    static func appendOutbox(
        _ connection: SQLiteConnection, id: String, type: OutboxEventType, subject: String, data: String,
        traceparent: String?, nowMs: Int64
    ) throws -> Int64 {
        try connection.run(
            "INSERT INTO outbox(id, type, aggregate_id, payload, traceparent, created_at_ms) VALUES (?, ?, ?, ?, ?, ?)",
            .text(id), .text(type.rawValue), .text(subject), .text(data), SQLiteValue(traceparent), .integer(nowMs))
        return connection.lastInsertRowID
    }

    /// Outbox rows neither delivered nor dead. Counts the partial index `outbox_pending`, so it reads
    /// only the backlog; start-up only (the writer keeps the count from there on).
    static func pendingOutboxCount(_ connection: SQLiteConnection) throws -> Int64 {
        try connection.withStatement(
            "SELECT count(*) FROM outbox WHERE delivered_at_ms IS NULL AND dead_at_ms IS NULL"
        ) { statement in
            _ = try statement.step()
            return statement.int64(0)
        }
    }

    /// Which outbox rows a read returns.
    enum OutboxSelection {
        /// Every row (the pull feed and the stream).
        case all
        /// Rows neither delivered nor dead (the relay's backlog; the `outbox_pending` index).
        case pending
        /// Dead rows (the `outbox_dead` index).
        case dead

        var condition: String {
            switch self {
            case .all: ""
            case .pending: "AND delivered_at_ms IS NULL AND dead_at_ms IS NULL"
            case .dead: "AND dead_at_ms IS NOT NULL"
            }
        }
    }

    /// Up to `limit` outbox rows of `selection` with a sequence above `sequence`, in sequence order
    /// (a range read of the primary key or of a partial index).
    static func outbox(
        _ connection: SQLiteConnection, _ selection: OutboxSelection = .all, after sequence: Int64, limit: Int
    ) throws -> [OutboxRecord] {
        try connection.withStatement(
            """
            SELECT sequence, id, type, aggregate_id, created_at_ms, traceparent, payload, delivered_at_ms,
                attempts, dead_at_ms, last_error
            FROM outbox WHERE sequence > ? \(selection.condition) ORDER BY sequence LIMIT ?
            """
        ) { statement in
            try statement.bindAll(.integer(sequence), .integer(Int64(limit)))
            var records: [OutboxRecord] = []
            while try statement.step() { records.append(decodeOutbox(statement)) }
            return records
        }
    }

    /// The outbox row with event id `id`, or nil (a scan: ids are not indexed, and this serves only
    /// an operator's retry of a dead event, found through the `outbox_dead` index).
    static func deadOutbox(_ connection: SQLiteConnection, id: String) throws -> OutboxRecord? {
        try connection.withStatement(
            """
            SELECT sequence, id, type, aggregate_id, created_at_ms, traceparent, payload, delivered_at_ms,
                attempts, dead_at_ms, last_error
            FROM outbox INDEXED BY outbox_dead WHERE dead_at_ms IS NOT NULL AND id = ?
            """
        ) { statement in
            try statement.bind(1, id)
            return try statement.step() ? decodeOutbox(statement) : nil
        }
    }

    /// The highest outbox sequence ever assigned (AUTOINCREMENT keeps it in sqlite_sequence even
    /// after the rows are pruned); 0 when none was.
    static func latestOutboxSequence(_ connection: SQLiteConnection) throws -> Int64 {
        try connection.withStatement("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'") { statement in
            try statement.step() ? statement.int64(0) : 0
        }
    }

    private static func decodeOutbox(_ statement: SQLiteStatement) -> OutboxRecord {
        OutboxRecord(
            sequence: statement.int64(0), id: statement.string(1), type: statement.string(2),
            subject: statement.string(3), timeMs: statement.int64(4),
            traceparent: statement.isNull(5) ? nil : statement.string(5), data: statement.string(6),
            deliveredAtMs: statement.isNull(7) ? nil : statement.int64(7), attempts: Int(statement.int64(8)),
            deadAtMs: statement.isNull(9) ? nil : statement.int64(9), lastError: statement.isNull(10) ? nil : statement.string(10))
    }

    // MARK: Encoding

    /// Seat ids as stored: comma-separated in seat order (ids never contain commas).
    static func encodeSeatIDs(_ seatIDs: [String]) -> String {
        seatIDs.joined(separator: ",")
    }

    static func decodeSeatIDs(_ text: String) -> [String] {
        text.split(separator: ",").map(String.init)
    }

    private static func decode(_ statement: SQLiteStatement) throws -> StoredReservation {
        let statusText = statement.string(7)
        guard let status = ReservationStatus(rawValue: statusText) else {
            // The CHECK constraint makes this unreachable unless the file was edited by hand.
            throw WriterError.inconsistentData("reservation \(statement.string(3)) has status \(statusText)")
        }
        let reservation = Reservation(
            id: statement.string(3), eventID: statement.string(2), userID: statement.string(4),
            seatIDs: decodeSeatIDs(statement.string(5)), quantity: statement.int(6), status: status,
            holdExpiresAtMs: statement.int64(8), totalAmount: statement.int64(9), currency: statement.string(10),
            orderID: statement.isNull(11) ? nil : statement.string(11),
            reservationToken: statement.isNull(12) ? nil : statement.string(12),
            createdAtMs: statement.int64(13), updatedAtMs: statement.int64(14), extensionsUsed: statement.int(15))
        return StoredReservation(key: statement.int64(0), eventKey: statement.int64(1), reservation: reservation)
    }
}
