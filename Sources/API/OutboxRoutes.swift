import HTTPServer
import JSON
import OpenAPI
import Outbox
import Reservations
import Service
import Timing

/// The outbox as admins read it (API.md, "Outbox events"): the pull feed with long polling, the
/// same feed as Server-Sent Events, dead events, and retrying one.
struct OutboxRoutes {
    let api: RESTAPI
    let outbox: OutboxAccess

    /// Limits of the pull feed.
    enum Feed {
        static let defaultLimit = 100
        static let limitRange = 1...1_000
        static let waitSecondsRange = 0...30
    }

    func register(on router: inout RouterBuilder) {
        router.add(.get, "/v1/outbox/events") { context in api.handleAdmin(&context, events) }
        router.describe(.get, "/v1/outbox/events", Self.describeEvents)
        router.add(.get, "/v1/outbox/stream") { context in api.handleAdmin(&context, stream) }
        router.describe(.get, "/v1/outbox/stream", Self.describeStream)
        router.add(.get, "/v1/outbox/dead") { context in api.handleAdmin(&context, dead) }
        router.describe(.get, "/v1/outbox/dead", Self.describeDead)
        router.add(.post, "/v1/outbox/dead/{eventId}/retry") { context in api.handleAdmin(&context, retry) }
        router.describe(.post, "/v1/outbox/dead/{eventId}/retry", Self.describeRetry)
    }

    /// `?after=&limit=&waitSeconds=`: answers at once when events exist or no wait is asked for;
    /// otherwise parks the request on its loop until one is committed or the wait ends.
    private func events(_ context: inout RequestContext, _ caller: Caller) throws -> HandlerResult {
        var problems: [FieldProblem] = []
        let (after, limit) = Self.page(context, &problems)
        let wait = Self.integer(context.query("waitSeconds"), "waitSeconds",
                                Int64(Feed.waitSecondsRange.lowerBound)...Int64(Feed.waitSecondsRange.upperBound), default: 0, &problems)
        guard problems.isEmpty else { throw ServiceError.invalid(problems) }
        let feed = outbox.feed
        let version = feed.currentVersion
        let records = try read { try feed.events(loop: context.loopIndex, after: after, limit: limit) }
        if !records.isEmpty || wait == 0 {
            return .respond(Responses.json(200, Self.page(records, after: after)))
        }
        guard let promise = context.deferResponse() else {
            throw ServiceError.unavailable("too many requests in flight; retry shortly")
        }
        let parked = feed.wait(loop: context.loopIndex, after: after, limit: limit,
                               deadlineMs: context.receivedAtMilliseconds + wait * 1000, seenVersion: version) { records in
            promise.complete(Responses.json(200, Self.page(records, after: after)))
        }
        if !parked {
            promise.complete(Responses.error(&context, .unavailable("too many waiting requests on this connection's thread; retry shortly")))
        }
        return .deferred
    }

    /// Server-Sent Events from `Last-Event-ID` (or `?after=`, else the start), with heartbeats.
    private func stream(_ context: inout RequestContext, _ caller: Caller) throws -> HandlerResult {
        var problems: [FieldProblem] = []
        var after = Self.integer(context.query("after"), "after", 0...Int64.max, default: 0, &problems)
        if let lastEventID = context.headerString("last-event-id") {
            after = Self.integer(lastEventID.isEmpty ? nil : lastEventID, "Last-Event-ID", 0...Int64.max, default: 0, &problems)
        }
        guard problems.isEmpty else { throw ServiceError.invalid(problems) }
        let stream = context.startStream(contentType: .eventStream, headers: [HTTPHeader("cache-control", "no-store")])
        let sink = StreamSink(stream)
        guard outbox.feed.subscribe(loop: context.loopIndex, after: after, sink: sink, nowMs: context.receivedAtMilliseconds) else {
            throw ServiceError.unavailable("too many open outbox streams; retry later")
        }
        return .streaming(stream)
    }

    /// `?after=&limit=`: dead events with their attempts and last error.
    private func dead(_ context: inout RequestContext, _ caller: Caller) throws -> HandlerResult {
        var problems: [FieldProblem] = []
        let (after, limit) = Self.page(context, &problems)
        guard problems.isEmpty else { throw ServiceError.invalid(problems) }
        let records = try read { try outbox.feed.dead(loop: context.loopIndex, after: after, limit: limit) }
        var writer = JSONWriter(reservingCapacity: 64 + 600 * records.count)
        writer.beginObject()
        writer.key("events")
        writer.beginArray()
        for record in records {
            writer.beginObject()
            writer.key("event"); writer.raw(record.envelopeJSON())
            writer.key("attempts"); writer.int(record.attempts)
            writer.key("lastError"); writer.string(record.lastError ?? "")
            writer.key("deadAt"); writer.string(RFC3339.format(milliseconds: record.deadAtMs ?? 0))
            writer.endObject()
        }
        writer.endArray()
        writer.key("nextAfter"); writer.int(records.last?.sequence ?? after)
        writer.endObject()
        return .respond(Responses.json(200, writer.bytes))
    }

    /// Puts a dead event back into the backlog; 404 when no dead event has the id.
    private func retry(_ context: inout RequestContext, _ caller: Caller) throws -> HandlerResult {
        let id = context.parameter(0) ?? ""
        let body = try BodyReader.parse(context, optional: true)
        var call = try api.call(&context, caller: caller, body: body)
        call.idempotency = nil
        let command = try api.service.retryDeadOutboxEventCommand(id: id, call)
        let revived = outbox.revived
        let site = ErrorSite(&context)
        return try api.submit(&context, command) { outcome in
            guard case .outboxRevived(let record) = outcome else { return nil }
            guard let record else {
                return site.render(status: 404, code: "OUTBOX_EVENT_NOT_FOUND", message: "No dead outbox event has this id")
            }
            revived(record)
            var writer = JSONWriter(reservingCapacity: 64 + record.data.utf8.count)
            writer.beginObject()
            writer.key("event"); writer.raw(record.envelopeJSON())
            writer.key("status"); writer.string("PENDING")
            writer.endObject()
            return Reply(code: 200, body: writer.bytes)
        }
    }

    /// Reads through the loop's outbox connection; a storage error is an internal failure.
    private func read<T>(_ body: () throws -> T) throws(ServiceError) -> T {
        do { return try body() } catch { throw .internalFailure(String(describing: error)) }
    }

    /// `{"events":[…],"nextAfter":N}`.
    static func page(_ records: [OutboxRecord], after: Int64) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 64 + 512 * records.count)
        writer.beginObject()
        writer.key("events")
        writer.beginArray()
        for record in records { writer.raw(record.envelopeJSON()) }
        writer.endArray()
        writer.key("nextAfter"); writer.int(records.last?.sequence ?? after)
        writer.endObject()
        return writer.bytes
    }

    /// `?after=` (default 0) and `?limit=` (default 100, at most 1,000).
    static func page(_ context: RequestContext, _ problems: inout [FieldProblem]) -> (after: Int64, limit: Int) {
        let after = integer(context.query("after"), "after", 0...Int64.max, default: 0, &problems)
        let limit = integer(context.query("limit"), "limit", Int64(Feed.limitRange.lowerBound)...Int64(Feed.limitRange.upperBound),
                            default: Int64(Feed.defaultLimit), &problems)
        return (after, Int(limit))
    }

    /// A query integer in `range`, or `fallback` when absent; a problem when malformed.
    static func integer(_ text: String?, _ field: String, _ range: ClosedRange<Int64>, default fallback: Int64,
                        _ problems: inout [FieldProblem]) -> Int64 {
        guard let text else { return fallback }
        guard let value = Int64(text), range.contains(value) else {
            problems.append(FieldProblem(field: field, problem: "must be an integer between \(range.lowerBound) and \(range.upperBound)"))
            return fallback
        }
        return value
    }
}

// MARK: - Descriptions (OpenAPI), one per route above

extension OutboxRoutes {
    private typealias Description = RESTDescription

    /// A CloudEvents 1.0 envelope as stored and delivered.
    static let cloudEvent = Schema.object([
        ("specversion", Schema.string(values: ["1.0"])),
        ("id", Schema.string("Unique; consumers deduplicate on it.")),
        ("type", Schema.string(values: OutboxEventType.allCases.map(\.rawValue))),
        ("source", Schema.string()),
        ("subject", Schema.string("The reservation or event id; order is kept per subject.")),
        ("time", Schema.string("RFC 3339, UTC, with `Z`.", format: "date-time")),
        ("sequence", Schema.integer("Global and increasing.", minimum: 1)),
        ("traceparent", Schema.string("W3C trace context of the request that caused the change.")),
        ("datacontenttype", Schema.string(values: ["application/json"])),
        ("data", Schema.object([(String, JSONValue)](), "The reservation (or event) as it is after the change.")),
    ], required: ["specversion", "id", "type", "source", "subject", "time", "sequence", "datacontenttype", "data"])

    static let example: JSONValue = [
        "specversion": "1.0", "id": "evn_01m8vwsbq8p7bf79e1dam5qw7w", "type": "reservation.created", "source": "/reservation-server",
        "subject": "rsv_01m8vwsbq8p7bf79e1dam5qw7v", "time": "2026-12-02T17:28:10.728Z", "sequence": 2,
        "datacontenttype": "application/json",
        "data": ["reservationId": "rsv_01m8vwsbq8p7bf79e1dam5qw7v", "eventId": "evt_2025_1001", "userId": "alice",
                 "seatIds": ["A-1", "A-2"], "quantity": 2, "status": "HOLD", "holdExpiresAt": "2026-12-02T17:29:10.728Z",
                 "totalAmount": 20_000, "currency": "KRW"],
    ]

    static let after = Parameter.query("after", Schema.integer(minimum: 0), "Events with a greater sequence (default 0).")
    static let limit = Parameter.query(
        "limit", Schema.integer(minimum: Int64(Feed.limitRange.lowerBound), maximum: Int64(Feed.limitRange.upperBound)),
        "Most events returned (default \(Feed.defaultLimit)).")
    static let nextAfter = Schema.integer("The last sequence returned, or `after` when none was.", minimum: 0)

    static let describeEvents = Description.operation(
        "listOutboxEvents", "Read the outbox (admin)",
        details: "Events in sequence order after `after`. With `waitSeconds` the call returns as soon as an event exists "
            + "(long poll; nothing is held but the request) or when the wait ends, empty.",
        tag: Description.outbox,
        parameters: [after, limit, Parameter.query(
            "waitSeconds", Schema.integer(minimum: Int64(Feed.waitSecondsRange.lowerBound), maximum: Int64(Feed.waitSecondsRange.upperBound)),
            "Wait this long for an event when there is none yet (default 0).")],
        success: [("200", Response.body("A page of events.", Schema.object([
            ("events", Schema.array(cloudEvent)), ("nextAfter", nextAfter),
        ], required: ["events", "nextAfter"]), example: ["events": [example], "nextAfter": 2]))],
        errors: [400: ["INVALID_REQUEST"]],
        traits: [.caller, .admin])

    static let describeStream = Description.operation(
        "streamOutbox", "Follow the outbox as Server-Sent Events (admin)",
        details: "The same feed, kept open: `id:` is the sequence, `event:` the type, `data:` the envelope; a comment line "
            + "now and then keeps idle connections open. Resumes after `Last-Event-ID` (or `after`). A reader that falls "
            + "behind by more than `--pending-output-bytes-max` is disconnected; at most `--outbox-streams-max` are open.",
        tag: Description.outbox,
        parameters: [after, Parameter.header("Last-Event-ID", Schema.string(pattern: "^[0-9]+$"), "The last sequence received.")],
        success: [("200", Response.body("An endless stream of events.", mediaType: "text/event-stream", Schema.string(),
                                        example: "id: 2\nevent: reservation.created\ndata: {\"specversion\":\"1.0\",…}\n\n"))],
        errors: [400: ["INVALID_REQUEST"]],
        traits: [.caller, .admin])

    static let describeDead = Description.operation(
        "listDeadOutboxEvents", "Events the webhook gave up on (admin)",
        details: "After `--outbox-max-attempts` failures or a status that is not retried; later events of their subject went on.",
        tag: Description.outbox,
        parameters: [after, limit],
        success: [("200", Response.body("A page of dead events.", Schema.object([
            ("events", Schema.array(Schema.object([
                ("event", cloudEvent), ("attempts", Schema.integer(minimum: 0)), ("lastError", Schema.string()),
                ("deadAt", Schema.string("RFC 3339, UTC, with `Z`.", format: "date-time")),
            ], required: ["event", "attempts", "lastError", "deadAt"]))),
            ("nextAfter", nextAfter),
        ], required: ["events", "nextAfter"]), example: ["events": [], "nextAfter": 0]))],
        errors: [400: ["INVALID_REQUEST"]],
        traits: [.caller, .admin])

    static let describeRetry = Description.operation(
        "retryDeadOutboxEvent", "Deliver a dead event again (admin)",
        details: "Puts it back in the backlog with its attempts reset; the webhook gets it again.",
        tag: Description.outbox,
        parameters: [Parameter.path("eventId", Schema.string(minLength: 1, maxLength: ReservationLimits.maxTextLength), "The event's `id`.",
                                    example: "evn_01m8vwsbq8p7bf79e1dam5qw7w")],
        success: [("200", Response.body("Back in the backlog.", Schema.object([
            ("event", cloudEvent), ("status", Schema.string(values: ["PENDING"])),
        ], required: ["event", "status"]), example: ["event": example, "status": "PENDING"]))],
        errors: [400: ["INVALID_REQUEST"], 404: ["OUTBOX_EVENT_NOT_FOUND"]],
        traits: [.caller, .change, .admin])
}

/// What the outbox routes need besides the service: the feed and the relay's door for revived events.
public struct OutboxAccess: Sendable {
    public let feed: OutboxFeed
    /// Called once a dead event is back in the backlog (the relay delivers it; a no-op without one).
    public let revived: @Sendable (OutboxRecord) -> Void

    public init(feed: OutboxFeed, revived: @escaping @Sendable (OutboxRecord) -> Void) {
        self.feed = feed
        self.revived = revived
    }
}

/// A Server-Sent Events response as the feed's sink.
private final class StreamSink: OutboxStreamSink {
    let stream: ResponseStream

    init(_ stream: ResponseStream) {
        self.stream = stream
    }

    var isOpen: Bool { stream.isOpen }
    func send(_ bytes: [UInt8]) -> Bool { stream.send(bytes) }
    func finish() { stream.finish() }
}
