import CSQLite
import Reservations

/// An event the writer serves: its definition and its in-memory inventory.
final class LiveEvent {
    let event: Event
    var index: SeatIndex

    init(event: Event, index: SeatIndex) {
        self.event = event
        self.index = index
    }
}

/// The writer thread's state and the code that runs batches. Created and used only on the writer
/// thread (its connection's debug owner check enforces it).
final class WriterEngine {
    let connection: SQLiteConnection
    let configuration: Writer.Configuration
    let shared: WriterShared
    /// Complete events by public id; an event appears here only once its last chunk committed.
    private(set) var events: [EventID: LiveEvent] = [:]
    /// The same events by storage key, for rows that carry only the key (reservations, expiries).
    private(set) var eventsByKey: [Int64: LiveEvent] = [:]
    /// Live holds and their deadlines: when the next expiry is due.
    var deadlines: HoldDeadlines
    /// Holds whose expiry failed on a row-level error (a breach already reported); sweeps skip them
    /// so one bad row cannot fail every batch, and the next start-up tries them again.
    var quarantined: Set<Int64> = []
    /// After a failed batch, expiry wake-ups wait until this time, so a persistent storage error
    /// (disk full) does not turn the idle writer into a busy loop.
    var expiryRetryNotBeforeMs = Int64.min
    /// Event creations and clean-ups in progress, served round-robin, one step per batch, so that a
    /// large event never holds other commands back for more than one chunk.
    var background: [BackgroundJob] = []
    /// How to reverse each in-memory change made since the batch began, newest last; in-memory state
    /// must follow the transaction when a savepoint or the whole batch rolls back.
    private(set) var undoLog: [() -> Void] = []
    /// Live Idempotency-Key scopes and where their responses are stored.
    var idempotency = IdempotencyIndex()
    /// Claimed event creations still inserting seats, by scope: a duplicate waits for the creation
    /// (`EventCreation.waiters`) instead of running, since nothing is stored until it completes.
    var pendingClaims: [String: EventCreation] = [:]
    /// Outbox rows not yet delivered (see `Writer.Statistics.outboxBacklog`).
    var outboxBacklog = 0
    /// What the current batch did, for statistics and metrics once its fate is known.
    var tally = BatchTally()
    /// The copy of new reservations into `reservations_by_user`.
    var listing = ListingIndex()
    /// The Prometheus series, when configured.
    let metrics: WriterMetrics?

    /// Opens the database, migrates it, removes half-created events and rebuilds every index.
    init(configuration: Writer.Configuration, shared: WriterShared) throws {
        self.configuration = configuration
        // Wall-clock ms since an origin a day before start-up: overdue holds found at start-up count as due.
        deadlines = HoldDeadlines(tickMilliseconds: configuration.expiryTickMilliseconds,
                                  originMs: configuration.clock.wallMilliseconds() - 86_400_000)
        self.shared = shared
        metrics = configuration.metrics.map { WriterMetrics(registry: $0, shard: configuration.resolvedMetricsShard ?? 0) }
        connection = try SQLiteConnection(
            path: configuration.path, mode: .readWrite(createDirectories: true), options: configuration.options)
        connection.claim()
        do {
            try Migrator.migrate(connection, Schema.migrations, nowMilliseconds: { [clock = configuration.clock] in clock.wallMilliseconds() })
            try removeIncompleteEvents()
            try rebuildIndexes()
            try loadLiveHolds()
            try expireOverdueHolds()
            try loadIdempotency()
            try listing.load(connection)
            outboxBacklog = Int(try ReservationQueries.pendingOutboxCount(connection))
            let cursorKey = try secret(named: Writer.cursorKeyName)
            shared.cursorKey.withLock { $0 = cursorKey }
        } catch {
            connection.close()
            throw error
        }
        shared.statistics.withLock { statistics in
            statistics.idempotencyEntries = idempotency.count
            statistics.outboxBacklog = outboxBacklog
        }
        if let metrics {
            metrics.setLiveHolds(deadlines.count)
            metrics.setOutboxBacklog(outboxBacklog)
            metrics.recordIdempotency(replays: 0, conflicts: 0, entries: idempotency.count)
            for live in eventsByKey.values.sorted(by: { $0.event.key < $1.event.key }) {
                metrics.setSeats(of: live)
            }
        }
    }

    /// Whether an event creation or clean-up still has steps to run.
    var hasBackgroundWork: Bool { !background.isEmpty }

    /// Closes the connection; called once the loop has drained everything.
    func close() {
        connection.close()
    }

    /// What running one command inside the batch produced.
    enum CommandResult {
        /// The command is finished; this is its reply, to be sent after COMMIT, and whether the
        /// contract keeps it for idempotent replay (`WriteOutcome.isStorable`).
        case answered(Delivery, storable: Bool)
        /// An event creation that continues over later batches; it answers when its last chunk commits.
        case started(EventCreation)
        /// A duplicate claim of a creation still in progress; answered when that creation finishes.
        case waiting
    }

    /// Commands in a batch as the statistics count them: client commands plus the background step.
    func size(of items: [QueueItem], step: BackgroundJob?) -> Int {
        let commands = items.reduce(0) { count, item in
            if case .command = item { return count + 1 }
            return count
        }
        return commands + (step == nil ? 0 : 1)
    }

    /// Runs `command`, first settling its idempotency claim if it has one (API.md, "Idempotency").
    ///
    /// A live scope answers at once: the stored response for the same fingerprint, a conflict for
    /// another. Otherwise the command runs inside an outer savepoint "claim", and a storable response
    /// — including a business failure, whose own savepoint has already rolled its work back — is
    /// stored in that savepoint with the entry added to memory, so a duplicate later in this batch
    /// replays it. If storing fails, the command's work goes too and it answers `storageFailure`.
    func run(_ command: WriteCommand, now: Int64) -> CommandResult {
        guard let claim = command.idempotency else {
            let (result, operation, error) = execute(command, now: now)
            if let operation { tally.outcomes.append((operation, error)) }
            return result
        }
        let mark = undoMark
        // Set once the operation ran, so its outcome is counted exactly once, whatever follows.
        var executed: (operation: WriterMetrics.Operation?, error: DomainError?)?
        do {
            if let earlier = try earlierAnswer(to: claim, command: command, nowMs: now) { return earlier }
            let result = try connection.withSavepoint("claim") {
                let (result, operation, error) = execute(command, now: now)
                executed = (operation, error)
                switch result {
                case .answered(let delivery, let storable):
                    if storable { try remember(claim, delivery.reply, nowMs: now) }
                case .started(let creation):
                    pendingClaims[claim.scope] = creation
                    onUndo { [unowned self] in self.pendingClaims[claim.scope] = nil }
                case .waiting:
                    break
                }
                return result
            }
            if let operation = executed?.operation { tally.outcomes.append((operation, executed?.error)) }
            return result
        } catch {
            undo(to: mark)
            record(error)
            if let operation = executed?.operation { tally.outcomes.append((operation, .storageFailure)) }
            return Self.failed(command, .storageFailure)
        }
    }

    /// A command's answer for `error`, never stored.
    static func failed(_ command: WriteCommand, _ error: DomainError) -> CommandResult {
        .answered(Delivery(command.render(.failed(error))), storable: false)
    }

    /// A command's answer for `outcome`.
    static func answer(_ command: WriteCommand, _ outcome: WriteOutcome) -> CommandResult {
        .answered(Delivery(command.render(outcome)), storable: outcome.isStorable)
    }

    /// Runs `command`'s operation in its own savepoint; a failure undoes only this command and
    /// renders its error. Also returns which reservation operation ran (nil for event creation) and
    /// the error it ended with, for `reservation_outcomes_total`.
    private func execute(_ command: WriteCommand, now: Int64) -> (CommandResult, WriterMetrics.Operation?, DomainError?) {
        let mark = undoLog.count
        let operation: WriterMetrics.Operation? = switch command.operation {
        case .createEvent: nil
        case .hold: .hold
        case .confirm: .confirm
        case .cancel: .cancel
        case .extend: .extend
        case .outbox: nil
        }
        do {
            let result = try connection.withSavepoint("command") { () throws -> CommandResult in
                switch command.operation {
                case .createEvent(let spec):
                    return try beginCreation(spec, command: command, now: now)
                case .hold(let request):
                    return Self.answer(command, try hold(request, nowMs: now))
                case .confirm(let request):
                    return Self.answer(command, try confirm(request, nowMs: now))
                case .cancel(let request):
                    return Self.answer(command, try cancel(request, nowMs: now))
                case .extend(let request):
                    return Self.answer(command, try extend(request, nowMs: now))
                case .outbox(let change):
                    return Self.answer(command, try applyOutbox(change, nowMs: now))
                }
            }
            return (result, operation, nil)
        } catch {
            undo(to: mark)
            guard let domainError = error as? DomainError else {
                record(error)
                return (Self.failed(command, .storageFailure), operation, .storageFailure)
            }
            return (Self.answer(command, .failed(domainError)), operation, domainError)
        }
    }

    /// Reverses in-memory changes back to undo-log length `mark`, newest first.
    func undo(to mark: Int) {
        while undoLog.count > mark {
            undoLog.removeLast()()
        }
    }

    /// The current length of the undo log, to roll back to with `undo(to:)`.
    var undoMark: Int { undoLog.count }

    /// Forgets the reversals once their changes are committed.
    func discardUndoLog() {
        undoLog.removeAll(keepingCapacity: true)
    }

    /// Registers how to reverse an in-memory change just made, should its savepoint or batch roll back.
    func onUndo(_ reverse: @escaping () -> Void) {
        undoLog.append(reverse)
    }

    func record(_ error: any Error) {
        shared.statistics.withLock { $0.lastError = "\(error)" }
    }

    /// Reports a disagreement between stored rows and in-memory state, and returns the error that
    /// fails the command involved (answered `storageFailure`: nothing of it is kept).
    func breach(_ message: String) -> InvariantBreach {
        shared.statistics.withLock {
            $0.invariantBreaches += 1
            $0.lastError = "invariant breach: \(message)"
        }
        configuration.onInvariantBreach(message)
        return InvariantBreach(message: message)
    }

    // MARK: Expiry timing

    /// A PASSIVE checkpoint on the writer's own connection, between batches (see WriterThread).
    /// Failures are left to the checkpointer thread's next run; they never fail a command.
    func checkpointBetweenBatches() {
        var logFrames: Int32 = 0
        var checkpointedFrames: Int32 = 0
        _ = sqlite3_wal_checkpoint_v2(connection.ownedHandle, nil, SQLITE_CHECKPOINT_PASSIVE, &logFrames, &checkpointedFrames)
    }

    /// How long expiry wake-ups wait after a failed batch.
    static let expiryRetryDelayMs: Int64 = 100

    /// When the idle writer should next run an expiry batch (wall-clock ms): the earliest live
    /// deadline rounded up to a tick, but not before a failed batch's retry delay; nil when no hold
    /// is live.
    func expiryWakeMs() -> Int64? {
        deadlines.earliestMs().map { max(roundedUpToTick($0), expiryRetryNotBeforeMs) }
    }

    /// `ms` rounded up to a whole expiry tick (never early), so that times close together are
    /// handled by one transaction; wall-clock times here are positive and far from overflow.
    func roundedUpToTick(_ ms: Int64) -> Int64 {
        let tick = configuration.expiryTickMilliseconds
        let (quotient, remainder) = ms.quotientAndRemainder(dividingBy: tick)
        return remainder > 0 ? (quotient + 1) * tick : quotient * tick
    }

    /// Whether the idle writer should run an expiry batch at `nowMs`.
    func isExpiryDue(nowMs: Int64) -> Bool {
        guard nowMs >= expiryRetryNotBeforeMs else { return false }
        deadlines.advance(to: nowMs)
        return deadlines.hasFired
    }

    // MARK: Event creation

    /// Validates and starts creating an event: the event row (not yet complete), its sections and
    /// the first chunk of seats. Small events complete at once.
    private func beginCreation(_ spec: NewEvent, command: WriteCommand, now: Int64) throws -> CommandResult {
        let problems = spec.validate()
        guard problems.isEmpty else { throw DomainError.invalid(problems) }
        let id = spec.eventID ?? configuration.ids.next(prefix: IDGenerator.Prefix.event, nowMs: now)
        do {
            try connection.run(
                "INSERT INTO events(id, name, currency, total_seats, created_at_ms, complete) VALUES (?, ?, ?, ?, ?, 0)",
                .text(id), .text(spec.name), .text(spec.currency), .integer(Int64(spec.totalSeats)), .integer(now))
        } catch let error as SQLiteError where error.isUniqueViolation {
            throw DomainError.eventAlreadyExists
        }
        let key = connection.lastInsertRowID
        let sections = spec.sections.map { Section(name: $0.name, seatCount: $0.seatCount, priceMinor: $0.priceMinor) }
        let insertSection = try connection.statement(
            """
            INSERT INTO sections(event_key, section_index, name, seat_count, price_minor, available, held, sold)
            VALUES (?, ?, ?, ?, ?, ?, 0, 0)
            """)
        for (position, section) in sections.enumerated() {
            try insertSection.bindAll(
                .integer(key), .integer(Int64(position)), .text(section.name), .integer(Int64(section.seatCount)),
                .integer(section.priceMinor), .integer(Int64(section.seatCount)))
            try insertSection.run()
        }
        let event = Event(
            key: key, id: id, name: spec.name, currency: spec.currency, sections: sections, createdAtMs: now)
        let creation = EventCreation(command: command, event: event)
        try creation.insertNextChunk(connection, limit: configuration.seatsPerChunk)
        guard creation.isComplete else { return .started(creation) }
        let counts = try complete(creation)
        return Self.answer(command, .eventCreated(event, counts))
    }

    /// Marks the event complete and starts serving it from memory.
    private func complete(_ creation: EventCreation) throws -> InventoryCounts {
        let event = creation.event
        try connection.run("UPDATE events SET complete = 1 WHERE key = ?", .integer(event.key))
        try appendOutbox(.eventCreated, subject: event.id, data: OutboxRecord.data(for: event), traceparent: nil, nowMs: event.createdAtMs)
        let live = LiveEvent(event: event, index: SeatIndex(event: event))
        events[event.id] = live
        eventsByKey[event.key] = live
        tally.touchedEvents.insert(event.key)
        undoLog.append { [unowned self] in
            self.events[event.id] = nil
            self.eventsByKey[event.key] = nil
        }
        return live.index.counts
    }

    // MARK: Background steps

    /// What one background step produced.
    enum StepOutcome {
        /// More steps to come; the job goes to the back of the line.
        case continuing(BackgroundJob)
        /// A creation finished (or failed): its command's reply, whether it was stored, and a
        /// clean-up to run if it failed.
        case answered(EventCreation, Reply, stored: Bool, cleanup: EventPurge?)
        /// A clean-up finished.
        case done
    }

    func run(_ job: BackgroundJob, now: Int64) -> StepOutcome {
        switch job {
        case .creation(let creation):
            let mark = undoLog.count
            do {
                let reply = try connection.withSavepoint("chunk") { () throws -> Reply? in
                    try creation.insertNextChunk(connection, limit: configuration.seatsPerChunk)
                    guard creation.isComplete else { return nil }
                    let counts = try complete(creation)
                    let reply = creation.command.render(.eventCreated(creation.event, counts))
                    // Stored with the last chunk, so the claim becomes replayable as the event
                    // becomes visible.
                    if let claim = creation.command.idempotency {
                        try remember(claim, reply, nowMs: now)
                    }
                    return reply
                }
                guard let reply else { return .continuing(job) }
                return .answered(creation, reply, stored: true, cleanup: nil)
            } catch {
                undo(to: mark)
                record(error)
                return .answered(
                    creation, creation.command.render(.failed(.storageFailure)), stored: false,
                    cleanup: EventPurge(creation: creation))
            }
        case .purge(let purge):
            do {
                let finished = try connection.withSavepoint("chunk") {
                    try purge.deleteNextChunk(connection, limit: configuration.seatsPerChunk)
                }
                return finished ? .done : .continuing(job)
            } catch {
                record(error)
                // Give up after a few attempts: the rows stay marked incomplete, and start-up removes
                // them, so a persistent error cannot keep the writer (or its shutdown) busy forever.
                purge.failures += 1
                return purge.failures < EventPurge.maxAttempts ? .continuing(job) : .done
            }
        }
    }

    // MARK: Start-up

    /// The secret called `name`, made (32 random bytes from the kernel) and stored on first use.
    private func secret(named name: String) throws -> [UInt8] {
        if let stored = try connection.withStatement("SELECT value FROM server_state WHERE name = ?", { statement in
            try statement.bind(1, name)
            return try statement.step() ? statement.bytes(0) : nil
        }) {
            return stored
        }
        var generator = SystemRandomNumberGenerator()
        let made = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        _ = try connection.inTransaction {
            try connection.run("INSERT INTO server_state(name, value) VALUES (?, ?)", .text(name), .blob(made))
        }
        return made
    }

    /// Deletes events whose creation never finished (the process stopped between chunks). Their
    /// creators never got a 201, so a retry with the same id must find the id free again.
    private func removeIncompleteEvents() throws {
        for row in try InventoryQueries.eventRows(connection, complete: false) {
            try connection.inTransaction {
                try connection.run("DELETE FROM seats WHERE event_key = ?", .integer(row.key))
                try connection.run("DELETE FROM sections WHERE event_key = ?", .integer(row.key))
                // With foreign keys on, this also checks that no reservation refers to the event,
                // which reads the reservations table; acceptable for a rare start-up repair.
                try connection.run("DELETE FROM events WHERE key = ?", .integer(row.key))
            }
        }
    }

    /// Rebuilds every complete event's seat index from its seat rows (one pass per event, at
    /// start-up only) and repairs section counters that disagree with the rows.
    private func rebuildIndexes() throws {
        for row in try InventoryQueries.eventRows(connection, complete: true) {
            let (sections, stored) = try InventoryQueries.sections(connection, eventKey: row.key)
            let event = InventoryQueries.event(row, sections)
            var index = SeatIndex(event: event)
            try connection.withStatement(
                "SELECT section_index, seat_number, status FROM seats WHERE event_key = ? AND status != 0"
            ) { statement in
                try statement.bind(1, row.key)
                while try statement.step() {
                    let seat = SeatPosition(section: statement.int(0), number: statement.int(1))
                    let status = InventoryQueries.seatStatus(statement.int64(2))
                    guard index.restore(seat, as: status) else {
                        throw WriterError.inconsistentData("event \(row.id) has an impossible seat row \(seat)")
                    }
                }
            }
            let counts = index.counts
            if counts.sections != stored {
                try repairCounters(eventKey: row.key, counts)
                record(WriterError.inconsistentData("event \(row.id): section counters repaired from seat rows"))
            }
            let live = LiveEvent(event: event, index: index)
            events[event.id] = live
            eventsByKey[event.key] = live
        }
    }

    private func repairCounters(eventKey: Int64, _ counts: InventoryCounts) throws {
        try connection.inTransaction {
            for (position, section) in counts.sections.enumerated() {
                try connection.run(
                    "UPDATE sections SET available = ?, held = ?, sold = ? WHERE event_key = ? AND section_index = ?",
                    .integer(Int64(section.available)), .integer(Int64(section.held)), .integer(Int64(section.sold)),
                    .integer(eventKey), .integer(Int64(position)))
            }
        }
    }

    // MARK: Recount

    /// Counts `id`'s seats from SQL and compares them with the index and the section counters.
    func recount(_ id: EventID) throws -> RecountReport? {
        guard let live = events[id] else { return nil }
        let (_, stored) = try InventoryQueries.sections(connection, eventKey: live.event.key)
        var rows = [RecountReport.Tally](repeating: RecountReport.Tally(), count: live.event.sections.count)
        var mismatched = 0
        // Held and sold seats by the reservation key they point at.
        var owned: [Int64: (status: SeatStatus, seats: Set<SeatPosition>)] = [:]
        var orphans = 0
        try connection.withStatement(
            "SELECT section_index, seat_number, status, reservation_key FROM seats WHERE event_key = ?"
        ) { statement in
            try statement.bind(1, live.event.key)
            while try statement.step() {
                let seat = SeatPosition(section: statement.int(0), number: statement.int(1))
                let status = InventoryQueries.seatStatus(statement.int64(2))
                guard rows.indices.contains(seat.section) else {
                    mismatched += 1
                    continue
                }
                rows[seat.section].add(status)
                if live.index.status(of: seat) != status { mismatched += 1 }
                if status != .available {
                    let key = statement.int64(3)
                    if let existing = owned[key], existing.status != status {
                        // One reservation's seats are never part held, part sold.
                        orphans += 1
                    }
                    owned[key, default: (status, [])].seats.insert(seat)
                }
            }
        }
        // Every live reservation of the event must own exactly its stored seats, held for a HOLD and
        // sold for a CONFIRMED one; whatever seats remain in `owned` point at no such reservation.
        // Scans the reservations table (no index on event_key): a debug check, like the seat scan.
        var reservationMismatches = 0
        try connection.withStatement(
            "SELECT key, status, seat_ids FROM reservations WHERE event_key = ? AND status IN ('HOLD', 'CONFIRMED')"
        ) { statement in
            try statement.bind(1, live.event.key)
            while try statement.step() {
                let expected: SeatStatus = statement.string(1) == ReservationStatus.hold.rawValue ? .held : .sold
                let seats = Set(
                    ReservationQueries.decodeSeatIDs(statement.string(2)).compactMap { live.index.position(of: $0) })
                let found = owned.removeValue(forKey: statement.int64(0))
                if found?.status != expected || found?.seats != seats {
                    reservationMismatches += 1
                }
            }
        }
        orphans += owned.values.reduce(0) { $0 + $1.seats.count }
        let sections = live.event.sections.indices.map { position in
            let indexCounts = live.index.sections[position]
            let counters = position < stored.count ? stored[position] : nil
            return RecountReport.SectionReport(
                name: live.event.sections[position].name,
                seatCount: live.event.sections[position].seatCount,
                seatRows: rows[position],
                counters: counters.map { RecountReport.Tally(available: $0.available, held: $0.held, sold: $0.sold) }
                    ?? RecountReport.Tally(),
                index: RecountReport.Tally(
                    available: indexCounts.available, held: indexCounts.held, sold: indexCounts.sold))
        }
        return RecountReport(
            eventID: id, sections: sections, mismatchedSeats: mismatched, orphanSeats: orphans,
            reservationSeatMismatches: reservationMismatches)
    }
}

/// A unit of background work, one step per batch.
enum BackgroundJob {
    case creation(EventCreation)
    case purge(EventPurge)
}

/// Stored rows and in-memory state disagree; already reported through `onInvariantBreach`.
struct InvariantBreach: Error, CustomStringConvertible {
    let message: String
    var description: String { "invariant breach: \(message)" }
}

/// The transaction vanished under a batch (SQLite rolled it back after an I/O or disk-full error).
struct LostTransaction: Error, CustomStringConvertible {
    let reason: String
    var description: String { "transaction lost: \(reason)" }
}
