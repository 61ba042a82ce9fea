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

    /// Holds the requested seats, or the best available ones, until `nowMs + holdMilliseconds`.
    func hold(_ request: HoldRequest, nowMs: Int64) throws -> WriteOutcome {
        let problems = request.validate(maxQuantity: configuration.maxHoldQuantity)
        guard problems.isEmpty else { throw DomainError.invalid(problems) }
        guard let live = events[request.eventID] else { throw DomainError.eventNotFound }
        let event = live.event

        var seats: [SeatPosition] = []
        if request.seatIDs.isEmpty {
            guard let best = live.index.bestAvailable(request.quantity) else { throw DomainError.seatUnavailable }
            seats = best
        } else {
            var unknown: [FieldProblem] = []
            for seatID in request.seatIDs {
                if let position = live.index.position(of: seatID) {
                    seats.append(position)
                } else if unknown.count < NewEvent.Limits.maxReportedProblems {
                    unknown.append(FieldProblem(field: "seatIds", problem: "unknown seat \(Self.shortened(seatID))"))
                }
            }
            guard unknown.isEmpty else { throw DomainError.invalid(unknown) }
            // All or nothing: one taken seat refuses the whole request before anything is written.
            guard seats.allSatisfy({ live.index.status(of: $0) == .available }) else {
                throw DomainError.seatUnavailable
            }
            seats.sort()
        }

        var total: Int64 = 0
        for seat in seats {
            let (sum, overflow) = total.addingReportingOverflow(event.sections[seat.section].priceMinor)
            guard !overflow else {
                throw DomainError.invalid([FieldProblem(field: "quantity", problem: "makes the total amount too large")])
            }
            total = sum
        }
        // A deadline past the end of time is clamped rather than trapping; validation keeps the
        // duration positive, so the hold always ends after `nowMs`.
        let (deadline, overflow) = nowMs.addingReportingOverflow(request.holdMilliseconds)
        let reservation = Reservation(
            id: configuration.ids.next(prefix: IDGenerator.Prefix.reservation, nowMs: nowMs),
            eventID: event.id, userID: request.userID, seatIDs: seats.map { live.index.seatID(of: $0) },
            quantity: seats.count, status: .hold, holdExpiresAtMs: overflow ? Int64.max : deadline,
            totalAmount: total, currency: event.currency, orderID: nil, reservationToken: request.reservationToken,
            createdAtMs: nowMs, updatedAtMs: nowMs)

        let key = try ReservationQueries.insert(connection, reservation, eventKey: event.key)
        try change(seats, .hold, reservationKey: key, reservationID: reservation.id, in: event)
        try appendOutbox(.reservationCreated, reservation, traceparent: request.traceparent, nowMs: nowMs)

        guard live.index.hold(seats) else {
            throw breach("seat index refused to hold \(reservation.seatIDs) for \(reservation.id) after SQL held them")
        }
        onUndo { live.index.release(seats) }
        trackHold(key: key, deadlineMs: reservation.holdExpiresAtMs)
        return .held(reservation)
    }

    /// Sells a live hold's seats and creates its order.
    ///
    /// The order's status is CONFIRMED: the caller presents a payment intent id, which is stored,
    /// but this server does not verify payments, so it never claims PAID.
    func confirm(_ request: ConfirmRequest, nowMs: Int64) throws -> WriteOutcome {
        let problems = request.validate()
        guard problems.isEmpty else { throw DomainError.invalid(problems) }
        let (stored, live, seats) = try liveHold(
            request.reservationID, for: .confirm, by: request.userID, nowMs: nowMs)

        try change(seats, .sell, reservationKey: stored.key, reservationID: stored.reservation.id, in: live.event)
        let orderID = configuration.ids.next(prefix: IDGenerator.Prefix.order, nowMs: nowMs)
        var reservation = stored.reservation
        reservation.status = .confirmed
        reservation.orderID = orderID
        reservation.updatedAtMs = nowMs
        try finishHold(stored, as: .confirmed, orderID: orderID, nowMs: nowMs)
        let order = Order(
            id: orderID, reservationID: reservation.id, userID: reservation.userID,
            paymentIntentID: request.paymentIntentID, totalAmount: reservation.totalAmount,
            currency: reservation.currency, status: .confirmed, createdAtMs: nowMs)
        do {
            try ReservationQueries.insertOrder(connection, order, reservationKey: stored.key)
        } catch let error as SQLiteError where error.isUniqueViolation {
            throw breach("a second order for \(reservation.id) was refused by the orders table")
        }
        try appendOutbox(.reservationConfirmed, reservation, traceparent: request.traceparent, nowMs: nowMs)

        guard live.index.sell(seats) else {
            throw breach("seat index refused to sell \(reservation.seatIDs) of \(reservation.id) after SQL sold them")
        }
        onUndo { live.index.revertSale(seats) }
        untrackHold(key: stored.key)
        return .confirmed(order, reservation)
    }

    /// Releases a live hold's seats.
    func cancel(_ request: CancelRequest, nowMs: Int64) throws -> WriteOutcome {
        let problems = request.validate()
        guard problems.isEmpty else { throw DomainError.invalid(problems) }
        let (stored, live, seats) = try liveHold(
            request.reservationID, for: .cancel, by: request.userID, nowMs: nowMs)
        let reservation = try release(
            stored, seats, in: live, as: .cancelled, event: .reservationCancelled, traceparent: request.traceparent,
            nowMs: nowMs)
        return .cancelled(reservation)
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
                    if let deadline = deadlines.untrack(key: key) {
                        onUndo { [unowned self] in self.deadlines.track(key: key, deadlineMs: deadline) }
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
        _ = try release(
            stored, seats, in: live, as: .expired, event: .reservationExpired, traceparent: nil, nowMs: nowMs)
    }

    /// Loads every live hold's deadline (start-up).
    func loadLiveHolds() throws {
        try ReservationQueries.liveHolds(connection) { key, deadline in
            deadlines.track(key: key, deadlineMs: deadline)
        }
    }

    /// Expires the holds that ended while the server was down, in bounded transactions, before the
    /// writer reports ready (API.md, "Expiry").
    func expireOverdueHolds() throws {
        var expiredCount = 0
        while true {
            let nowMs = configuration.nowMilliseconds()
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

    /// The stored reservation `id` if `userID` may act on it now, with its event and seat positions;
    /// otherwise throws the state machine's answer.
    private func liveHold(
        _ id: ReservationID, for action: ReservationAction, by userID: UserID, nowMs: Int64
    ) throws -> (StoredReservation, LiveEvent, [SeatPosition]) {
        let stored = try ReservationQueries.reservation(connection, id: id)
        if let refusal = ReservationLifecycle.refusal(of: action, on: stored?.reservation, by: userID, atMs: nowMs) {
            throw refusal
        }
        guard let stored, let live = eventsByKey[stored.eventKey] else {
            throw breach("reservation \(id) refers to an event that is not served")
        }
        return (stored, live, try positions(of: stored, in: live))
    }

    /// Frees a live hold's seats and ends it as `status` (cancel and expiry share this).
    private func release(
        _ stored: StoredReservation, _ seats: [SeatPosition], in live: LiveEvent, as status: ReservationStatus,
        event type: OutboxEventType, traceparent: String?, nowMs: Int64
    ) throws -> Reservation {
        try change(seats, .release, reservationKey: stored.key, reservationID: stored.reservation.id, in: live.event)
        try finishHold(stored, as: status, orderID: nil, nowMs: nowMs)
        var reservation = stored.reservation
        reservation.status = status
        reservation.updatedAtMs = nowMs
        try appendOutbox(type, reservation, traceparent: traceparent, nowMs: nowMs)

        guard live.index.release(seats) else {
            throw breach("seat index refused to release \(reservation.seatIDs) of \(reservation.id) after SQL freed them")
        }
        onUndo { live.index.hold(seats) }
        untrackHold(key: stored.key)
        return reservation
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

    /// Ends a HOLD in SQL; a breach unless exactly that one row was still a HOLD.
    private func finishHold(_ stored: StoredReservation, as status: ReservationStatus, orderID: OrderID?, nowMs: Int64) throws {
        let changed = try ReservationQueries.finishHold(
            connection, key: stored.key, status: status, orderID: orderID, nowMs: nowMs)
        guard changed == 1 else {
            throw breach("\(stored.reservation.id) was no longer a HOLD when it became \(status.rawValue)")
        }
    }

    private func appendOutbox(
        _ type: OutboxEventType, _ reservation: Reservation, traceparent: String?, nowMs: Int64
    ) throws {
        _ = try ReservationQueries.appendOutbox(
            connection, id: configuration.ids.next(prefix: IDGenerator.Prefix.outboxEvent, nowMs: nowMs), type: type,
            subject: reservation.id, data: OutboxRecord.data(for: reservation),
            traceparent: ReservationLimits.storableTraceparent(traceparent), nowMs: nowMs)
        outboxBacklog += 1
        onUndo { [unowned self] in self.outboxBacklog -= 1 }
    }

    /// Starts tracking a new hold's deadline (reversibly).
    private func trackHold(key: Int64, deadlineMs: Int64) {
        deadlines.track(key: key, deadlineMs: deadlineMs)
        onUndo { [unowned self] in self.deadlines.untrack(key: key) }
    }

    /// Stops tracking a hold that ended (reversibly).
    private func untrackHold(key: Int64) {
        guard let deadline = deadlines.untrack(key: key) else { return }
        onUndo { [unowned self] in self.deadlines.track(key: key, deadlineMs: deadline) }
    }

    /// `text` cut to 40 characters for an error message, so a huge id cannot bloat the response.
    private static func shortened(_ text: String) -> String {
        text.count <= 40 ? text : String(text.prefix(40)) + "…"
    }
}
