import Logging
import Outbox
import Reservations
import Storage
import Synchronization

/// A loop's inventory reader, opened on first use on that loop's thread: the database file may not
/// be in WAL mode until the writer's start-up has run, and a connection belongs to one thread.
final class LazyInventoryReader: InventoryReader, @unchecked Sendable {  // used only on its own loop thread
    private let path: String
    private let options: SQLiteOptions
    private var reader: SQLiteInventoryReader?

    init(path: String, options: SQLiteOptions) {
        self.path = path
        self.options = options
    }

    private func open() throws -> SQLiteInventoryReader {
        if let reader { return reader }
        let opened = try SQLiteInventoryReader(path: path, options: options)
        reader = opened
        return opened
    }

    func event(_ id: EventID) throws -> (event: Event, counts: InventoryCounts)? { try open().event(id) }

    func seats(eventID: EventID, status: SeatStatus?, section: String?, limit: Int, cursor: String?) throws -> SeatPage {
        try open().seats(eventID: eventID, status: status, section: section, limit: limit, cursor: cursor)
    }

    func reservation(_ id: ReservationID) throws -> Reservation? { try open().reservation(id) }

    func reservations(of userID: UserID, before: ListingPosition?, limit: Int) throws
        -> [(reservation: Reservation, position: ListingPosition)]
    {
        try open().reservations(of: userID, before: before, limit: limit)
    }

    func eventDefinition(_ id: EventID) throws -> Event? { try open().eventDefinition(id) }

    func resetStatements() { reader?.resetStatements() }
}

/// A loop's outbox reader, opened on first use (the writer creates the file first).
final class LazyOutboxReader: OutboxReader, @unchecked Sendable {  // used only on its own loop thread
    private let path: String
    private let options: SQLiteOptions
    private var reader: SQLiteOutboxReader?

    init(path: String, options: SQLiteOptions) {
        self.path = path
        self.options = options
    }

    private func open() throws -> SQLiteOutboxReader {
        if let reader { return reader }
        let opened = try SQLiteOutboxReader(path: path, options: options)
        reader = opened
        return opened
    }

    func events(after sequence: Int64, limit: Int) throws -> [OutboxRecord] { try open().events(after: sequence, limit: limit) }
    func pending(after sequence: Int64, limit: Int) throws -> [OutboxRecord] { try open().pending(after: sequence, limit: limit) }
    func dead(after sequence: Int64, limit: Int) throws -> [OutboxRecord] { try open().dead(after: sequence, limit: limit) }
    func latestSequence() throws -> Int64 { try open().latestSequence() }
    func resetStatements() { reader?.resetStatements() }
}

/// The outbox's consumers, as the writer's commit hook and the drain see them: the feed always,
/// and either the webhook relay or the retention thread once start-up has finished.
final class OutboxDelivery: Sendable {
    let feed: OutboxFeed
    private let relay = Mutex<WebhookRelay?>(nil)
    private let retention = Mutex<OutboxRetentionThread?>(nil)

    init(feed: OutboxFeed) {
        self.feed = feed
    }

    /// New events are committed (writer thread): wake the waiting readers and the relay.
    func committed() {
        feed.committed()
        relay.withLock { $0 }?.notify()
    }

    /// A dead event is back in the backlog.
    func revived(_ record: OutboxRecord) {
        relay.withLock { $0 }?.revived(record)
    }

    func start(relay started: WebhookRelay) {
        relay.withLock { $0 = started }
    }

    func start(retention started: OutboxRetentionThread) {
        retention.withLock { $0 = started }
    }

    /// Stops the relay (its attempts in flight finish and its progress is handed to the writer) or
    /// the retention thread.
    func stop() {
        relay.withLock { $0 }?.shutdown()
        retention.withLock { $0 }?.stop()
    }
}

/// The WAL checkpointer, started once the writer has put the file in WAL mode.
final class CheckpointerSlot: Sendable {
    private let checkpointer = Mutex<WALCheckpointer?>(nil)

    func start(path: String, options: SQLiteOptions, log: Log) {
        do {
            let started = try WALCheckpointer(path: path, options: options)
            checkpointer.withLock { $0 = started }
        } catch {
            log.error("cannot start the WAL checkpointer", ["error": .string(String(describing: error))])
        }
    }

    func stop() {
        let running = checkpointer.withLock { slot -> WALCheckpointer? in
            defer { slot = nil }
            return slot
        }
        running?.stop()
    }
}
