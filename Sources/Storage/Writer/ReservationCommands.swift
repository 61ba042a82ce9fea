import Reservations

/// A change of seat state the reservation commands make, with its conditional SQL.
///
/// Every statement names the state it expects (and, for held seats, the reservation holding them),
/// and the caller checks that it changed exactly the rows it meant to: even a bug in the index or
/// above cannot sell a seat twice or release someone else's (DESIGN.md, "Storage").
enum SeatTransition {
    /// available → held (a hold).
    case hold
    /// held → sold (a confirm).
    case sell
    /// held → available (a cancel or an expiry).
    case release

    /// Parameters: ?1 reservation key, ?2 event key, ?3 section index, ?4…?5 seat numbers.
    var sql: String {
        switch self {
        case .hold:
            """
            UPDATE seats SET status = 1, reservation_key = ?1
            WHERE event_key = ?2 AND section_index = ?3 AND seat_number BETWEEN ?4 AND ?5 AND status = 0
            """
        case .sell:
            """
            UPDATE seats SET status = 2
            WHERE event_key = ?2 AND section_index = ?3 AND seat_number BETWEEN ?4 AND ?5
              AND status = 1 AND reservation_key = ?1
            """
        case .release:
            """
            UPDATE seats SET status = 0, reservation_key = NULL
            WHERE event_key = ?2 AND section_index = ?3 AND seat_number BETWEEN ?4 AND ?5
              AND status = 1 AND reservation_key = ?1
            """
        }
    }

    /// Change of the (available, held, sold) counters per seat.
    var counterDelta: (available: Int64, held: Int64, sold: Int64) {
        switch self {
        case .hold: (-1, 1, 0)
        case .sell: (0, -1, 1)
        case .release: (1, -1, 0)
        }
    }
}

// The reservation lifecycle on the writer thread (API.md, "Reservations", "State machine",
// "Expiry"). Each command runs inside its own savepoint (see `WriterEngine.run`); in-memory state
// (the seat index, the live-hold deadlines) changes only after all of its SQL succeeded, and each
// change registers its reversal in the undo log for a rollback of the savepoint or the batch.
extension WriterEngine {
    // MARK: Commands

    /// Holds the seats `ReservationRules.hold` picks, until `nowMs + holdMilliseconds`.
    func hold(_ request: HoldRequest, nowMs: Int64) throws -> WriteOutcome {
        guard let live = events[request.eventID] else {
            // Shape problems come first, as for a known event; an unknown event is a business answer.
            let problems = request.validate(maxQuantity: configuration.maxHoldQuantity)
            throw problems.isEmpty ? DomainError.eventNotFound : DomainError.invalid(problems)
        }
        let event = live.event
        // API.md, "Limits per caller": decided here, where every live hold is known (a business
        // outcome, stored for idempotency like a lost race for seats).
        let holdsMax = configuration.liveHoldsPerCallerMax
        if holdsMax > 0, deadlines.liveHolds(of: request.userID) >= holdsMax { throw DomainError.holdLimitExceeded }
        let plan = try ReservationRules.hold(
            request, in: event, index: live.index, maxQuantity: configuration.maxHoldQuantity,
            id: configuration.ids.next(prefix: IDGenerator.Prefix.reservation, nowMs: nowMs), nowMs: nowMs)
        let reservation = plan.reservation

        let key = try ReservationQueries.insert(connection, reservation, eventKey: event.key)
        // A rolled-back insert gives its key to the next one (no AUTOINCREMENT): the listing copy
        // must not count it as committed, or that next reservation would never be copied.
        let previousNewest = tally.newestReservationKey
        tally.newestReservationKey = key
        onUndo { [unowned self] in self.tally.newestReservationKey = previousNewest }
        try change(plan.seats, .hold, reservationKey: key, reservationID: reservation.id, in: event)
        try appendOutbox(.reservationCreated, reservation, traceparent: request.traceparent, nowMs: nowMs)

        guard live.index.hold(plan.seats) else {
            throw breach("seat index refused to hold \(reservation.seatIDs) for \(reservation.id) after SQL held them")
        }
        onUndo { live.index.release(plan.seats) }
        trackHold(key: key, deadlineMs: reservation.holdExpiresAtMs, owner: reservation.userID)
        return .held(reservation, event)
    }

    /// Sells a live hold's seats and creates its order.
    func confirm(_ request: ConfirmRequest, nowMs: Int64) throws -> WriteOutcome {
        let stored = try ReservationQueries.reservation(connection, id: request.reservationID)
        let (reservation, order) = try ReservationRules.confirm(
            stored?.reservation, request, orderID: configuration.ids.next(prefix: IDGenerator.Prefix.order, nowMs: nowMs),
            nowMs: nowMs)
        let (row, live, seats) = try served(stored)

        try change(seats, .sell, reservationKey: row.key, reservationID: reservation.id, in: live.event)
        try finishHold(row, as: reservation)
        do {
            try ReservationQueries.insertOrder(connection, order, reservationKey: row.key)
        } catch let error as SQLiteError where error.isUniqueViolation {
            throw breach("a second order for \(reservation.id) was refused by the orders table")
        }
        try appendOutbox(.reservationConfirmed, reservation, traceparent: request.traceparent, nowMs: nowMs)

        guard live.index.sell(seats) else {
            throw breach("seat index refused to sell \(reservation.seatIDs) of \(reservation.id) after SQL sold them")
        }
        onUndo { live.index.revertSale(seats) }
        untrackHold(key: row.key)
        return .confirmed(order, reservation, live.event)
    }

    /// Releases a live hold's seats.
    func cancel(_ request: CancelRequest, nowMs: Int64) throws -> WriteOutcome {
        let stored = try ReservationQueries.reservation(connection, id: request.reservationID)
        let reservation = try ReservationRules.cancel(stored?.reservation, request, nowMs: nowMs)
        let (row, live, seats) = try served(stored)
        try release(row, seats, in: live, as: reservation, event: .reservationCancelled, traceparent: request.traceparent)
        return .cancelled(reservation, live.event)
    }

    /// Moves a live hold's deadline later; its expiry reminder follows.
    func extend(_ request: ExtendRequest, nowMs: Int64) throws -> WriteOutcome {
        let stored = try ReservationQueries.reservation(connection, id: request.reservationID)
        let reservation = try ReservationRules.extend(
            stored?.reservation, request, policy: configuration.holdPolicy, nowMs: nowMs)
        let (row, _, _) = try served(stored)
        let changed = try ReservationQueries.extendHold(
            connection, key: row.key, deadlineMs: reservation.holdExpiresAtMs,
            extensionsUsed: reservation.extensionsUsed, nowMs: nowMs)
        guard changed == 1 else {
            throw breach("\(reservation.id) was no longer a HOLD when its deadline moved")
        }
        try appendOutbox(.reservationExtended, reservation, traceparent: request.traceparent, nowMs: nowMs)
        untrackHold(key: row.key)
        trackHold(key: row.key, deadlineMs: reservation.holdExpiresAtMs, owner: reservation.userID)
        return .extended(reservation, previousDeadlineMs: row.reservation.holdExpiresAtMs)
    }

    // MARK: Expiry

    /// Expires every HOLD whose stored deadline is at or before `nowMs` (at most `limit` rows
    /// examined), each in its own savepoint, inside the caller's transaction. Returns the deadlines
    /// of the holds it expired, and whether it examined every due hold.
    ///
    /// The in-memory deadlines only decide whether to look; what expires is read from SQL. A hold
    /// whose expiry fails on its own row is reported, skipped until the next start-up, and does not
    /// fail the batch; an error that ends the transaction is thrown.
    @discardableResult
    func expireDueHolds(nowMs: Int64, limit: Int = Int.max) throws -> (deadlines: [Int64], complete: Bool) {
        // The wheel reminds; SQL decides. Look whenever a reminder fired or one falls in this tick,
        // so a hold whose deadline passed inside the current tick still never blocks a new hold.
        deadlines.advance(to: nowMs)
        guard deadlines.mayBeDue(atMs: nowMs) else { return ([], true) }
        var expired: [Int64] = []
        var afterDeadline = Int64.min
        var afterKey = Int64.min
        var examined = 0
        while examined < limit {
            let pageLimit = min(Self.expiryPageSize, limit - examined)
            let rows = try ReservationQueries.dueHolds(
                connection, nowMs: nowMs, afterDeadlineMs: afterDeadline, afterKey: afterKey, limit: pageLimit)
            for row in rows {
                afterDeadline = row.reservation.holdExpiresAtMs
                afterKey = row.key
                if quarantined.contains(row.key) { continue }
                let mark = undoMark
                do {
                    try connection.withSavepoint("expiry") { try expire(row, nowMs: nowMs) }
                    expired.append(row.reservation.holdExpiresAtMs)
                } catch {
                    undo(to: mark)
                    guard connection.isInTransaction else { throw error }
                    if !(error is InvariantBreach) {
                        _ = breach("expiry of \(row.reservation.id) failed: \(error)")
                    }
                    quarantined.insert(row.key)
                    deadlines.untrack(key: row.key)
                }
            }
            examined += rows.count
            guard rows.count == pageLimit else {
                // Every due hold was examined. Whatever the reminder still thinks is due now is a
                // hold that storage does not show as a due HOLD: report it once and forget it, or
                // the idle writer would wake for it forever.
                for key in deadlines.removeDue(atOrBefore: nowMs) {
                    _ = breach("hold key \(key) was tracked as due but storage has no due HOLD with that key")
                    let owner = deadlines.owner(of: key) ?? ""
                    if let deadline = deadlines.untrack(key: key) {
                        onUndo { [unowned self] in self.deadlines.track(key: key, deadlineMs: deadline, owner: owner) }
                    }
                }
                return (expired, true)
            }
        }
        return (expired, false)
    }

    /// Rows read per query while sweeping.
    static var expiryPageSize: Int { 256 }

    /// Expires one due hold: seats free, EXPIRED, `reservation.expired` (no traceparent: no request
    /// caused it).
    private func expire(_ stored: StoredReservation, nowMs: Int64) throws {
        guard let live = eventsByKey[stored.eventKey] else {
            throw breach("reservation \(stored.reservation.id) refers to event key \(stored.eventKey), which is not served")
        }
        let seats = try positions(of: stored, in: live)
        try release(
            stored, seats, in: live, as: ReservationRules.expire(stored.reservation, nowMs: nowMs),
            event: .reservationExpired, traceparent: nil)
    }

    /// Loads every live hold's deadline (start-up).
    func loadLiveHolds() throws {
        try ReservationQueries.liveHolds(connection) { key, deadline, owner in
            deadlines.track(key: key, deadlineMs: deadline, owner: owner)
        }
    }

    /// Expires the holds that ended while the server was down, in bounded transactions, before the
    /// writer reports ready (API.md, "Expiry").
    func expireOverdueHolds() throws {
        var expiredCount = 0
        while true {
            let nowMs = configuration.clock.wallMilliseconds()
            let (expired, complete) = try connection.inTransaction {
                try expireDueHolds(nowMs: nowMs, limit: configuration.expiriesPerStartupTransaction)
            }
            // Committed: nothing is left to undo.
            discardUndoLog()
            expiredCount += expired.count
            if complete { break }
        }
        shared.statistics.withLock { statistics in
            statistics.expiredAtStartup += expiredCount
            statistics.liveHolds = deadlines.count
        }
    }

    // MARK: Pieces

    /// The stored row the rules just allowed a change of, with its served event and seat positions;
    /// a breach when its event is not served or its seats do not parse.
    private func served(_ stored: StoredReservation?) throws -> (StoredReservation, LiveEvent, [SeatPosition]) {
        guard let stored, let live = eventsByKey[stored.eventKey] else {
            throw breach("reservation \(stored?.reservation.id ?? "?") refers to an event that is not served")
        }
        return (stored, live, try positions(of: stored, in: live))
    }

    /// Frees a live hold's seats and stores it as `ended` (cancel and expiry share this).
    private func release(
        _ stored: StoredReservation, _ seats: [SeatPosition], in live: LiveEvent, as ended: Reservation,
        event type: OutboxEventType, traceparent: String?
    ) throws {
        try change(seats, .release, reservationKey: stored.key, reservationID: ended.id, in: live.event)
        try finishHold(stored, as: ended)
        try appendOutbox(type, ended, traceparent: traceparent, nowMs: ended.updatedAtMs)

        guard live.index.release(seats) else {
            throw breach("seat index refused to release \(ended.seatIDs) of \(ended.id) after SQL freed them")
        }
        onUndo { live.index.hold(seats) }
        untrackHold(key: stored.key)
    }

    /// The positions of a stored reservation's seats; a breach when they do not parse or do not
    /// match its quantity.
    private func positions(of stored: StoredReservation, in live: LiveEvent) throws -> [SeatPosition] {
        let seats = stored.reservation.seatIDs.compactMap { live.index.position(of: $0) }
        guard seats.count == stored.reservation.quantity, seats.count == stored.reservation.seatIDs.count else {
            throw breach("reservation \(stored.reservation.id) stores seats \(stored.reservation.seatIDs) for quantity \(stored.reservation.quantity)")
        }
        return seats
    }

    /// Applies `transition` to `seats` (in seat order) and to the section counters, checking that
    /// every conditional UPDATE changed exactly the rows it should have.
    private func change(
        _ seats: [SeatPosition], _ transition: SeatTransition, reservationKey: Int64, reservationID: ReservationID,
        in event: Event
    ) throws {
        // Adjacent seats of one section are one range UPDATE (best available mostly picks runs).
        var start = 0
        while start < seats.count {
            var end = start + 1
            while end < seats.count && seats[end].section == seats[start].section
                && seats[end].number == seats[end - 1].number + 1
            {
                end += 1
            }
            let changed = try connection.run(
                transition.sql, .integer(reservationKey), .integer(event.key), .integer(Int64(seats[start].section)),
                .integer(Int64(seats[start].number)), .integer(Int64(seats[end - 1].number)))
            guard changed == end - start else {
                let range = "\(event.sections[seats[start].section].name) \(seats[start].number)...\(seats[end - 1].number)"
                throw breach(
                    "\(transition) of \(reservationID) changed \(changed) of \(end - start) seat rows (\(event.id) \(range))")
            }
            start = end
        }

        tally.touchedEvents.insert(event.key)
        var perSection: [Int: Int64] = [:]
        for seat in seats { perSection[seat.section, default: 0] += 1 }
        let delta = transition.counterDelta
        for (section, count) in perSection.sorted(by: { $0.key < $1.key }) {
            let changed = try connection.run(
                """
                UPDATE sections SET available = available + ?, held = held + ?, sold = sold + ?
                WHERE event_key = ? AND section_index = ?
                """,
                .integer(delta.available * count), .integer(delta.held * count), .integer(delta.sold * count),
                .integer(event.key), .integer(Int64(section)))
            guard changed == 1 else {
                throw breach("section \(section) of \(event.id) has no counter row")
            }
        }
    }

    /// Ends a HOLD in SQL as `ended` says; a breach unless exactly that one row was still a HOLD.
    private func finishHold(_ stored: StoredReservation, as ended: Reservation) throws {
        let changed = try ReservationQueries.finishHold(
            connection, key: stored.key, status: ended.status, orderID: ended.orderID, nowMs: ended.updatedAtMs)
        guard changed == 1 else {
            throw breach("\(stored.reservation.id) was no longer a HOLD when it became \(ended.status.rawValue)")
        }
    }

    private func appendOutbox(
        _ type: OutboxEventType, _ reservation: Reservation, traceparent: String?, nowMs: Int64
    ) throws {
        try appendOutbox(type, subject: reservation.id, data: OutboxRecord.data(for: reservation),
                         traceparent: traceparent, nowMs: nowMs)
    }

    /// Appends an outbox row about `subject` in the current transaction and counts it in the backlog.
    func appendOutbox(_ type: OutboxEventType, subject: String, data: String, traceparent: String?, nowMs: Int64) throws {
        _ = try ReservationQueries.appendOutbox(
            connection, id: configuration.ids.next(prefix: IDGenerator.Prefix.outboxEvent, nowMs: nowMs), type: type,
            subject: subject, data: data, traceparent: ReservationLimits.storableTraceparent(traceparent), nowMs: nowMs)
        tally.outboxAppended = true
        outboxBacklog += 1
        onUndo { [unowned self] in self.outboxBacklog -= 1 }
    }

    /// Starts tracking a new hold's deadline (reversibly).
    private func trackHold(key: Int64, deadlineMs: Int64, owner: String) {
        deadlines.track(key: key, deadlineMs: deadlineMs, owner: owner)
        onUndo { [unowned self] in self.deadlines.untrack(key: key) }
    }

    /// Stops tracking a hold that ended (reversibly).
    private func untrackHold(key: Int64) {
        let owner = deadlines.owner(of: key) ?? ""
        guard let deadline = deadlines.untrack(key: key) else { return }
        onUndo { [unowned self] in self.deadlines.track(key: key, deadlineMs: deadline, owner: owner) }
    }
}
