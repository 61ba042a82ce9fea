import Auth
import Reservations
import Timing

/// Settings of the service, with units in the names.
public struct ServiceConfiguration: Sendable {
    /// Most seats per reservation (`--max-quantity`).
    public var maxQuantity = ReservationLimits.defaultMaxQuantity
    /// Hold length and extension limits (`--hold-seconds`, `--max-hold-extensions`, `--max-hold-seconds`).
    public var holdPolicy = HoldPolicy()
    /// How callers are identified (`AUTH_MODE`).
    public var authentication = AuthenticationMode.none
    /// Verified tokens each loop remembers (`--jwt-cache-entries`).
    public var tokenCacheEntries = 4096
    /// The token bucket per caller over changes (`--rate-limit-per-second`, `--rate-limit-burst`); nil = off.
    public var rateLimit: RateLimiter.Policy?

    public init() {}
}

/// The reservation service every door calls (DESIGN.md, "Layers"): REST on the HTTP/1.1 port and
/// Connect/gRPC for RPC clients translate their wire shapes into these inputs and the outcomes back,
/// and nothing else. Caller and key rules, validation, idempotency claims, readiness, reads on the
/// calling loop's reader and writes through the single writer all live here, once.
///
/// Writes come in two steps, so that a door reserves room for a late answer only for a request that
/// will really be submitted: a `…Command` method validates and returns a `ServiceCommand` (or throws
/// what to answer at once), then `submit` hands it to the writer with the door's renderer and
/// delivery callback. Reads run synchronously on the calling loop thread.
public final class ReservationService: Sendable {
    public let configuration: ServiceConfiguration
    let commands: any CommandSink
    let readers: PerLoop<any InventoryReader>
    let readiness: Readiness
    let clock: any Clock
    /// The key that signs listing cursors; read when needed, since it is only known once storage
    /// has started.
    let cursorKey: @Sendable () -> [UInt8]
    /// Each loop's recently verified tokens (auth on).
    let tokenCaches: PerLoop<TokenCache>
    /// Refusals of credentials and of the rate limit, for the metrics.
    public let authStatistics = AuthStatistics()
    /// The buckets per caller, when rate limiting is on.
    let rateLimiter: RateLimiter?

    /// - Parameter readers: one reader per event loop, used only on that loop's thread.
    public init(
        configuration: ServiceConfiguration, commands: any CommandSink, readers: PerLoop<any InventoryReader>,
        readiness: Readiness, clock: any Clock = SystemClock(), cursorKey: @escaping @Sendable () -> [UInt8]
    ) {
        self.configuration = configuration
        self.commands = commands
        self.readers = readers
        self.readiness = readiness
        self.clock = clock
        self.cursorKey = cursorKey
        tokenCaches = PerLoop((0..<readers.count).map { _ in TokenCache(capacity: configuration.tokenCacheEntries) })
        rateLimiter = configuration.rateLimit.map { RateLimiter(policy: $0, originNanoseconds: clock.monotonicNanoseconds()) }
    }

    /// Throws `.unavailable` until start-up has finished, and while draining.
    public func ensureReady() throws(ServiceError) {
        guard readiness.isReady else {
            throw .unavailable(readiness.isDraining ? "the server is shutting down" : "the server is starting")
        }
    }

    // MARK: Writes

    /// Hold seats (API.md, "POST /v1/reservations"). The idempotency key is required.
    public func holdCommand(_ input: HoldInput, _ call: CallContext) throws(ServiceError) -> ServiceCommand {
        try ensureReady()
        try admit(call)
        // A missing or malformed key is answered before the body's problems, as API.md lists it first.
        let claim = try IdempotencyKeys.claim(call.idempotency, caller: call.caller, required: true)
        let request = HoldRequest(
            eventID: input.eventID, userID: call.caller.userID, quantity: input.quantity, seatIDs: input.seatIDs,
            reservationToken: input.reservationToken, holdMilliseconds: configuration.holdPolicy.holdMilliseconds,
            traceparent: call.traceparent)
        try Self.check(call.shapeProblems.merging(request.validate(maxQuantity: configuration.maxQuantity)))
        return ServiceCommand(.hold(request), claim)
    }

    /// Confirm a hold with a payment.
    public func confirmCommand(_ input: ConfirmInput, _ call: CallContext) throws(ServiceError) -> ServiceCommand {
        try ensureReady()
        try admit(call)
        let claim = try IdempotencyKeys.claim(call.idempotency, caller: call.caller, required: false)
        let request = ConfirmRequest(
            reservationID: input.reservationID, userID: call.caller.userID, paymentIntentID: input.paymentIntentID,
            traceparent: call.traceparent)
        try Self.check(call.shapeProblems.merging(request.validate()))
        return ServiceCommand(.confirm(request), claim)
    }

    /// Cancel a hold.
    public func cancelCommand(_ input: CancelInput, _ call: CallContext) throws(ServiceError) -> ServiceCommand {
        try ensureReady()
        try admit(call)
        let claim = try IdempotencyKeys.claim(call.idempotency, caller: call.caller, required: false)
        let request = CancelRequest(reservationID: input.reservationID, userID: call.caller.userID, traceparent: call.traceparent)
        try Self.check(call.shapeProblems.merging(request.validate()))
        return ServiceCommand(.cancel(request), claim)
    }

    /// Extend a hold by `input.seconds`, or by the hold length when it names none.
    public func extendCommand(_ input: ExtendInput, _ call: CallContext) throws(ServiceError) -> ServiceCommand {
        try ensureReady()
        try admit(call)
        let claim = try IdempotencyKeys.claim(call.idempotency, caller: call.caller, required: false)
        let policy = configuration.holdPolicy
        let milliseconds = input.seconds.map { $0.multipliedReportingOverflow(by: 1000) }
        let request = ExtendRequest(
            reservationID: input.reservationID, userID: call.caller.userID,
            extensionMilliseconds: milliseconds.map { $0.overflow ? Int64.max : $0.partialValue } ?? policy.holdMilliseconds,
            traceparent: call.traceparent)
        try Self.check(call.shapeProblems.merging(request.validate(policy: policy)))
        return ServiceCommand(.extend(request), claim)
    }

    /// Create an event (admin; with auth off every caller is one).
    public func createEventCommand(_ event: NewEvent, _ call: CallContext) throws(ServiceError) -> ServiceCommand {
        try ensureReady()
        try admit(call)
        let claim = try IdempotencyKeys.claim(call.idempotency, caller: call.caller, required: false)
        try Self.check(call.shapeProblems.merging(event.validate()))
        return ServiceCommand(.createEvent(event), claim)
    }

    /// Put a dead outbox event back into the delivery backlog (admin). The id is the event's `id`.
    public func retryDeadOutboxEventCommand(id: String, _ call: CallContext) throws(ServiceError) -> ServiceCommand {
        try ensureReady()
        var problems = call.shapeProblems
        if id.isEmpty || id.utf8.count > ReservationLimits.maxTextLength {
            problems.append(FieldProblem(field: "id", problem: "must be 1-\(ReservationLimits.maxTextLength) characters"))
        }
        try Self.check(problems)
        return ServiceCommand(.outbox(.retryDead(id: id)), nil)
    }

    /// Hands `command` to the writer. `render` turns its outcome into the door's reply (on the
    /// writer thread, inside the transaction); `deliver` receives the reply once it is durable,
    /// exactly once. Throws `.unavailable` when the writer's queue is full — then neither runs.
    public func submit(
        _ command: ServiceCommand, render: @escaping @Sendable (WriteOutcome) -> Reply,
        deliver: @escaping @Sendable (Delivery) -> Void
    ) throws(ServiceError) {
        let write = WriteCommand(operation: command.operation, idempotency: command.claim, render: render, completion: deliver)
        guard commands.submit(write) else { throw .unavailable("the write queue is full; retry shortly") }
    }

    /// Takes a token from the caller's bucket (an anonymous caller's is its address's), or throws
    /// `.rateLimited`; before any other check, so refused requests cost next to nothing.
    private func admit(_ call: CallContext) throws(ServiceError) {
        guard let rateLimiter else { return }
        var hasher = Hasher()
        if call.caller == .anonymous {
            hasher.combine(0 as UInt8)
            call.clientAddress.withUnsafeBytes { hasher.combine(bytes: $0) }
        } else {
            hasher.combine(1 as UInt8)
            hasher.combine(call.caller.userID)
        }
        let identity = UInt64(bitPattern: Int64(hasher.finalize()))
        if let refusal = rateLimiter.take(identity: identity, nowNanoseconds: clock.monotonicNanoseconds()) {
            authStatistics.recordRateLimited()
            throw .rateLimited(refusal)
        }
    }

    private static func check(_ problems: [FieldProblem]) throws(ServiceError) {
        // One problem per field, the first found winning (rules may find several for one field).
        guard problems.isEmpty else { throw .invalid([].merging(problems)) }
    }

    // MARK: Reads (on the calling loop's reader)

    /// The reservation `id` as `caller` may see it, with its effective status (a HOLD past its
    /// deadline reads as EXPIRED); another caller's reservation is not found, like a missing one.
    public func reservation(_ id: ReservationID, caller: Caller, loop: Int) throws(ServiceError) -> Reservation {
        try ensureReady()
        guard ReservationLimits.isValidText(id) else { throw .domain(.reservationNotFound) }
        let stored = try read { try readers[loop].reservation(id) }
        guard var reservation = stored, caller.mayRead(reservation) else { throw .domain(.reservationNotFound) }
        reservation.status = reservation.effectiveStatus(atMs: clock.wallMilliseconds())
        return reservation
    }

    /// One page of `caller`'s reservations, newest first (API.md, "Listing and extending holds").
    public func reservations(_ query: ListQuery, caller: Caller, loop: Int) throws(ServiceError) -> ReservationPage {
        try ensureReady()
        // Whose reservations: the caller's own, or (admins only) the one `userId` names.
        var owner = caller
        if let wanted = query.userID, wanted != caller.userID {
            guard caller.isAdmin else { throw .forbidden("only admins may list another caller's reservations") }
            owner = try Caller.resolve(claimed: wanted, field: "userId")
        }
        var problems: [FieldProblem] = []
        let limit = query.limit ?? ReservationListing.defaultLimit
        if !(ReservationListing.minLimit...ReservationListing.maxLimit).contains(limit) {
            problems.append(
                FieldProblem(
                    field: "limit", problem: "must be between \(ReservationListing.minLimit) and \(ReservationListing.maxLimit)"))
        }
        let eventID = query.eventID.flatMap { $0.isEmpty ? nil : $0 }
        let binding = ListingCursor.binding(caller: owner, status: query.status, eventID: eventID)
        let cursors = ListingCursor(key: cursorKey())
        var before: ListingPosition?
        if let text = query.cursor, !text.isEmpty {
            before = cursors.decode(text, binding: binding)
            if before == nil { problems.append(FieldProblem(field: "cursor", problem: "is not a cursor of this listing")) }
        }
        try Self.check(query.shapeProblems.merging(problems))

        // Without filters every row is a match: one row past the page tells whether more exist.
        let filtered = query.status != nil || eventID != nil
        let scan = filtered ? max(limit + 1, ReservationListing.scanLimit) : limit + 1
        let rows = try read { try readers[loop].reservations(of: owner.userID, before: before, limit: scan) }
        let nowMs = clock.wallMilliseconds()
        var page: [Reservation] = []
        var pageEnd: ListingPosition?
        for (stored, position) in rows {
            var reservation = stored
            reservation.status = reservation.effectiveStatus(atMs: nowMs)
            guard query.status.map({ $0 == reservation.status }) ?? true,
                eventID.map({ $0 == reservation.eventID }) ?? true
            else { continue }
            if page.count == limit, let pageEnd {
                // A further match exists: the next page starts after the last one on this page.
                return ReservationPage(reservations: page, nextCursor: cursors.encode(pageEnd, binding: binding))
            }
            page.append(reservation)
            pageEnd = position
        }
        // The scan budget ran out before the rows did: continue after the last row read.
        if rows.count == scan, let last = rows.last?.position {
            return ReservationPage(reservations: page, nextCursor: cursors.encode(last, binding: binding))
        }
        return ReservationPage(reservations: page, nextCursor: nil)
    }

    /// The event with current counters.
    public func event(_ id: EventID, loop: Int) throws(ServiceError) -> (event: Event, counts: InventoryCounts) {
        try ensureReady()
        guard let found = try read({ try readers[loop].event(id) }) else { throw .domain(.eventNotFound) }
        return found
    }

    /// The event's definition (sections and prices), from the loop's cache after the first read.
    public func eventDefinition(_ id: EventID, loop: Int) throws(ServiceError) -> Event {
        try ensureReady()
        guard let found = try read({ try readers[loop].eventDefinition(id) }) else { throw .domain(.eventNotFound) }
        return found
    }

    /// One page of an event's seats.
    public func seats(_ query: SeatQuery, loop: Int) throws(ServiceError) -> SeatPage {
        try ensureReady()
        var problems = query.shapeProblems
        if !(SeatListing.minLimit...SeatListing.maxLimit).contains(query.limit) {
            problems = problems.merging([
                FieldProblem(field: "limit", problem: "must be an integer between \(SeatListing.minLimit) and \(SeatListing.maxLimit)")
            ])
        }
        try Self.check(problems)
        return try read {
            try readers[loop].seats(
                eventID: query.eventID, status: query.status, section: query.section, limit: query.limit, cursor: query.cursor)
        }
    }

    /// Runs a reader call: domain errors pass through, anything else is an internal failure.
    private func read<T>(_ body: () throws -> T) throws(ServiceError) -> T {
        do {
            return try body()
        } catch let error as DomainError {
            throw .domain(error)
        } catch {
            throw .internalFailure(String(describing: error))
        }
    }
}

/// A validated write, ready for `ReservationService.submit`. Only the service makes these.
public struct ServiceCommand: Sendable {
    let operation: WriteOperation
    let claim: IdempotencyClaim?

    init(_ operation: WriteOperation, _ claim: IdempotencyClaim?) {
        self.operation = operation
        self.claim = claim
    }
}

/// What every call brings besides its input: who is calling, the trace, the idempotency key, and
/// the problems the door already found while reading its wire format (a field of the wrong type).
public struct CallContext: Sendable {
    public var caller: Caller
    /// The client's IP address bytes: an anonymous caller's rate-limit bucket.
    public var clientAddress: [UInt8] = []
    public var traceparent: String?
    public var idempotency: IdempotencyRequest?
    public var shapeProblems: [FieldProblem]

    public init(caller: Caller, traceparent: String? = nil, idempotency: IdempotencyRequest? = nil, shapeProblems: [FieldProblem] = []) {
        self.caller = caller
        self.traceparent = traceparent
        self.idempotency = idempotency
        self.shapeProblems = shapeProblems
    }
}

/// Hold seats: explicit ones, or the best available when `seatIDs` is empty.
public struct HoldInput: Sendable {
    public var eventID: EventID
    public var quantity: Int
    public var seatIDs: [String]
    public var reservationToken: String?

    public init(eventID: EventID, quantity: Int, seatIDs: [String] = [], reservationToken: String? = nil) {
        self.eventID = eventID
        self.quantity = quantity
        self.seatIDs = seatIDs
        self.reservationToken = reservationToken
    }
}

/// Confirm a hold.
public struct ConfirmInput: Sendable {
    public var reservationID: ReservationID
    public var paymentIntentID: String

    public init(reservationID: ReservationID, paymentIntentID: String) {
        self.reservationID = reservationID
        self.paymentIntentID = paymentIntentID
    }
}

/// Cancel a hold.
public struct CancelInput: Sendable {
    public var reservationID: ReservationID

    public init(reservationID: ReservationID) {
        self.reservationID = reservationID
    }
}

/// Extend a hold; nil `seconds` means the hold length.
public struct ExtendInput: Sendable {
    public var reservationID: ReservationID
    public var seconds: Int64?

    public init(reservationID: ReservationID, seconds: Int64?) {
        self.reservationID = reservationID
        self.seconds = seconds
    }
}

/// Filters and paging of the reservation listing.
public struct ListQuery: Sendable {
    /// Whose reservations; nil for the caller's own (another caller's only for admins).
    public var userID: String?
    public var status: ReservationStatus?
    public var eventID: EventID?
    public var limit: Int?
    public var cursor: String?
    /// Problems the door found reading the query (an unknown status, a non-numeric limit).
    public var shapeProblems: [FieldProblem]

    public init(status: ReservationStatus? = nil, eventID: EventID? = nil, limit: Int? = nil, cursor: String? = nil,
                shapeProblems: [FieldProblem] = []) {
        self.status = status
        self.eventID = eventID
        self.limit = limit
        self.cursor = cursor
        self.shapeProblems = shapeProblems
    }
}

/// One page of a caller's reservations.
public struct ReservationPage: Sendable {
    /// Newest first, statuses as callers see them.
    public var reservations: [Reservation]
    /// Where the next page starts; nil at the end. A page may be shorter than asked (even empty)
    /// while this is set: one page reads a bounded number of stored reservations.
    public var nextCursor: String?
}

/// Filters and paging of the seat listing.
public struct SeatQuery: Sendable {
    public var eventID: EventID
    public var status: SeatStatus?
    public var section: String?
    public var limit: Int
    public var cursor: String?
    public var shapeProblems: [FieldProblem]

    public init(eventID: EventID, status: SeatStatus? = nil, section: String? = nil, limit: Int = SeatListing.defaultLimit,
                cursor: String? = nil, shapeProblems: [FieldProblem] = []) {
        self.eventID = eventID
        self.status = status
        self.section = section
        self.limit = limit
        self.cursor = cursor
        self.shapeProblems = shapeProblems
    }
}
