// Ports: what the service needs from storage, declared here so that the service and Storage both
// depend on the domain and never on each other (DESIGN.md, "Threads and data flow").

/// One name/value pair a door sends with a reply (a header for REST, metadata for RPC).
public struct ReplyField: Sendable, Hashable {
    /// The name as the door will write it.
    public var name: String
    /// The value.
    public var value: String

    /// Creates a field.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// What a door made of a write's outcome, in the door's own wire form.
///
/// Opaque to the domain and to storage. The writer asks the door to render it on the writer thread,
/// inside the command's transaction, so that exactly these bytes can be stored and replayed when the
/// same request is retried through the same door (API.md, "Idempotency").
public struct Reply: Sendable, Hashable {
    /// The door's status code (the HTTP status for REST, the RPC status code for RPC).
    public var code: Int
    /// Fields sent with the reply besides the ones the transport adds (Content-Length, Date, …).
    public var fields: [ReplyField]
    /// The body.
    public var body: [UInt8]

    /// Creates a reply.
    public init(code: Int, fields: [ReplyField] = [], body: [UInt8] = []) {
        self.code = code
        self.fields = fields
        self.body = body
    }
}

/// A reply on its way back to its door: the reply and whether it is a stored one, replayed.
public struct Delivery: Sendable, Hashable {
    /// What to send.
    public var reply: Reply
    /// True when the reply was stored for an earlier request with the same idempotency key and
    /// fingerprint; the door marks it (`Idempotent-Replayed: true`).
    public var isReplay: Bool

    /// Creates a delivery.
    public init(_ reply: Reply, isReplay: Bool = false) {
        self.reply = reply
        self.isReplay = isReplay
    }
}

/// A change the single writer applies.
public enum WriteOperation: Sendable {
    /// Create an event with all its seats (stored in chunks; visible once complete).
    case createEvent(NewEvent)
    /// Hold seats for a caller until a deadline.
    case hold(HoldRequest)
    /// Turn a live hold into a sale with an order.
    case confirm(ConfirmRequest)
    /// Release a live hold before its deadline.
    case cancel(CancelRequest)
    /// Move a live hold's deadline later.
    case extend(ExtendRequest)
    /// Record delivery progress of outbox events, revive a dead one, or prune old rows.
    case outbox(OutboxChange)
}

/// What a write produced; handed to the command's `render`.
public enum WriteOutcome: Sendable {
    /// The event is stored and visible, with its (all available) counters.
    case eventCreated(Event, InventoryCounts)
    /// The seats are held; the reservation is in HOLD with its deadline. The event is the one the
    /// seats belong to (for their sections and prices).
    case held(Reservation, Event)
    /// The seats are sold: the new order and the reservation, now CONFIRMED with `orderID` set.
    case confirmed(Order, Reservation, Event)
    /// The seats are free again; the reservation is CANCELLED.
    case cancelled(Reservation, Event)
    /// The hold lasts longer; the reservation carries the new deadline and extension count, and
    /// `previousDeadlineMs` the one it replaced.
    case extended(Reservation, previousDeadlineMs: Int64)
    /// An outbox change was applied to this many rows (0 when none matched).
    case outboxChanged(rows: Int)
    /// A dead outbox event is back in the backlog, as it now is; nil when no dead event has the id.
    case outboxRevived(OutboxRecord?)
    /// Nothing was changed for this command; the error says why.
    case failed(DomainError)

    /// Whether a reply to this outcome is kept for idempotent replay: successes and business
    /// outcomes, which a retry would otherwise see differently once the first request changed the
    /// state. Never a malformed request (the caller fixes it and may reuse the key), a conflict of
    /// keys (the key still belongs to the first request) or a storage failure (nothing happened; a
    /// retry should run).
    public var isStorable: Bool {
        guard case .failed(let error) = self else { return true }
        return error.isBusinessOutcome
    }

    /// The error of a failed outcome; nil for a success.
    public var error: DomainError? {
        guard case .failed(let error) = self else { return nil }
        return error
    }
}

/// A write request for the writer thread, with the two callbacks that turn its outcome into a reply
/// and hand that reply back.
public struct WriteCommand: Sendable {
    /// What to change.
    public var operation: WriteOperation
    /// The idempotency key this command claims, if the request carried one. With a claim the writer
    /// replays a stored reply for the same scope and fingerprint instead of running the command,
    /// answers `.idempotencyConflict` for the same scope with another fingerprint, and otherwise runs
    /// the command and stores a storable reply (`WriteOutcome.isStorable`) in the same transaction.
    public var idempotency: IdempotencyClaim?
    /// Turns the outcome into the door's reply. Runs on the writer thread inside the command's
    /// transaction; it must be quick and must not block. It can run a second time, with
    /// `.failed(.storageFailure)`, when the batch's COMMIT fails after the first rendering.
    public var render: @Sendable (WriteOutcome) -> Reply
    /// Receives the final reply exactly once. Runs on the writer thread after COMMIT returned (so a
    /// success is durable before anyone hears of it) and must only hand off, e.g. post to a loop.
    /// A replay receives the stored reply with `isReplay` set, and `render` runs only if the batch
    /// fails (with `.failed(.storageFailure)`).
    public var completion: @Sendable (Delivery) -> Void

    /// Creates a command.
    public init(
        operation: WriteOperation,
        idempotency: IdempotencyClaim? = nil,
        render: @escaping @Sendable (WriteOutcome) -> Reply,
        completion: @escaping @Sendable (Delivery) -> Void
    ) {
        self.operation = operation
        self.idempotency = idempotency
        self.render = render
        self.completion = completion
    }
}

/// Where the service sends write commands: the writer's bounded queue.
public protocol CommandSink: Sendable {
    /// Queues `command`; false when the queue is full or closed, and then neither callback ever
    /// runs (the caller answers "unavailable, retry").
    func submit(_ command: WriteCommand) -> Bool
}

/// Read-only inventory queries for one event-loop thread, on that thread's own read-only connection.
///
/// An instance belongs to one thread. Only point lookups and bounded range reads: nothing here scans
/// an event's seats. Methods throw `DomainError` for caller mistakes (`.eventNotFound`, `.invalid`)
/// and other errors for storage failures.
public protocol InventoryReader: AnyObject {
    /// The event with current counters, or nil when no such event exists (or it is still being created).
    func event(_ id: EventID) throws -> (event: Event, counts: InventoryCounts)?

    /// The event's definition (sections and prices, which never change once it is complete), or
    /// nil; served from a per-reader cache after the first read.
    func eventDefinition(_ id: EventID) throws -> Event?

    /// One page of the event's seats in (section order, number) order, optionally only those in
    /// `status` and/or in the section named `section`. `limit` is 1...1000; `cursor` is a previous
    /// page's `nextCursor`, opaque to callers.
    func seats(eventID: EventID, status: SeatStatus?, section: String?, limit: Int, cursor: String?) throws -> SeatPage

    /// The reservation `id` exactly as stored, or nil when there is none. The caller decides what
    /// the caller may see: it applies `Reservation.effectiveStatus(atMs:)` (a lapsed HOLD reads as
    /// EXPIRED before the writer has swept it) and the ownership rule (another user's reservation
    /// answers 404, like a missing one).
    func reservation(_ id: ReservationID) throws -> Reservation?

    /// At most `limit` of `userID`'s reservations, newest first, each with its position, strictly
    /// older than `before` (nil: from the newest). Fewer than `limit` means there are no more.
    /// Filtering is the caller's: a reservation's effective status depends on the time.
    func reservations(of userID: UserID, before: ListingPosition?, limit: Int) throws
        -> [(reservation: Reservation, position: ListingPosition)]

    /// Releases every statement's read snapshot; the loop calls it before it sleeps.
    func resetStatements()
}

/// Read-only access to the outbox for one thread, on its own read-only connection.
public protocol OutboxReader: AnyObject {
    /// Up to `limit` committed events with a sequence above `sequence`, in sequence order, whatever
    /// their delivery state (the pull feed and the stream).
    func events(after sequence: Int64, limit: Int) throws -> [OutboxRecord]

    /// Up to `limit` events not yet delivered and not dead, above `sequence`, in sequence order
    /// (the webhook relay's backlog).
    func pending(after sequence: Int64, limit: Int) throws -> [OutboxRecord]

    /// Up to `limit` dead events above `sequence`, in sequence order.
    func dead(after sequence: Int64, limit: Int) throws -> [OutboxRecord]

    /// The highest sequence committed so far (0 when the outbox was always empty).
    func latestSequence() throws -> Int64

    /// Releases every statement's read snapshot.
    func resetStatements()
}

/// Where a listing of a user's reservations stopped: opaque to everything above storage, which
/// only carries it in a cursor.
public struct ListingPosition: Sendable, Hashable {
    /// Storage's value for the position.
    public var value: Int64

    /// Wraps a storage value.
    public init(_ value: Int64) {
        self.value = value
    }
}

/// Limits of the seat listing.
public enum SeatListing {
    /// Smallest `limit`.
    public static let minLimit = 1
    /// Largest `limit`.
    public static let maxLimit = 1_000
    /// `limit` when the request gives none.
    public static let defaultLimit = 100
}

/// Limits of the reservation listing (API.md, "Listing and extending holds").
public enum ReservationListing {
    /// Smallest `limit`.
    public static let minLimit = 1
    /// Largest `limit`.
    public static let maxLimit = 200
    /// `limit` when the request gives none.
    public static let defaultLimit = 50
    /// Most stored reservations one page reads while filtering, so that a filter matching little
    /// of a long history cannot make one request scan it all; the page then ends early, with a
    /// cursor to continue.
    public static let scanLimit = 2_000
}
