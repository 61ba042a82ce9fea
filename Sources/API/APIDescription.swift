import HTTPServer
import JSON
import OpenAPI
import Reservations
import Service
import Timing

extension RESTAPI {
    /// The OpenAPI document of `router`'s routes, with the REST door's shared parts (API.md, "API description").
    public static func describeAPI(router: Router, version: String) -> APIDocument {
        var info = DocumentInfo(
            title: "reservation-server", version: version,
            summary: "Seat reservations: hold, confirm, cancel and extend; events and their inventory.",
            details: "Holds last `--hold-seconds` (60 s) and expire on time; a seat is never sold twice; a retried request "
                + "with the same `Idempotency-Key` is never run twice. Errors carry `{\"error\":{\"code\",\"message\",\"timestamp\",\"path\",\"traceId\"}}`. "
                + "Callers are named by `X-User-Id` with `AUTH_MODE=none` (the default), or by a bearer JWT with `AUTH_MODE=jwt`. "
                + "The same operations are also an RPC service (Connect on this port, gRPC on `--grpc-port`), described by `proto/`.")
        info.tags = [
            (RESTDescription.reservations, "Holding seats and what follows: confirm, cancel, extend; the caller's own reservations."),
            (RESTDescription.events, "Events and their seats."),
            (RESTDescription.outbox, "Every change as a CloudEvent, at least once: the pull feed, its stream, dead webhook deliveries (admin)."),
            ("Operations", "Health, readiness and metrics."),
            ("Documentation", "This document and Swagger UI."),
        ]
        var components = DocsRoutes.components
        components.merge(RESTDescription.components)
        return APIDocument(router: router, info: info, components: components)
    }
}

/// The REST door's part of the API description (API.md): its schemas, parameters and headers, and
/// the responses every `/v1/**` operation shares — errors of the HTTP layer, readiness, rate limits
/// and authentication — so each route's own description names only what is particular to it.
enum RESTDescription {
    static let events = "Events"
    static let outbox = "Outbox"
    static let reservations = "Reservations"

    /// How an operation of `/v1/**` takes part in the cross-cutting rules.
    struct Traits: OptionSet {
        let rawValue: Int
        /// Reads the caller (`X-User-Id`, or the token's subject).
        static let caller = Traits(rawValue: 1)
        /// A POST with a JSON body: body limits, media type, the rate limit.
        static let change = Traits(rawValue: 2)
        /// Honours `Idempotency-Key` (optional unless `keyRequired`).
        static let idempotent = Traits(rawValue: 4)
        static let keyRequired = Traits(rawValue: 8)
        /// Admin only when authentication is on.
        static let admin = Traits(rawValue: 16)
    }

    /// An operation of `/v1/**`: `success` and the route's own `errors` (status → codes), plus the
    /// responses `traits` bring.
    static func operation(_ id: String, _ summary: String, details: String? = nil, tag: String, parameters: [JSONValue] = [],
                          body: JSONValue? = nil, success: [(status: String, response: JSONValue)], errors: [Int: [String]] = [:],
                          traits: Traits) -> OperationDescription {
        var errors = errors
        func add(_ status: Int, _ codes: String...) { errors[status, default: []].append(contentsOf: codes) }
        var parameters = parameters
        if traits.contains(.caller) {
            parameters.append(Parameter.ref("UserId"))
            add(400, "INVALID_REQUEST")
        }
        if traits.contains(.idempotent) {
            parameters.append(Parameter.ref(traits.contains(.keyRequired) ? "IdempotencyKeyRequired" : "IdempotencyKey"))
            add(400, "INVALID_REQUEST")
            if traits.contains(.keyRequired) { add(400, "MISSING_IDEMPOTENCY_KEY") }
            add(409, "IDEMPOTENCY_CONFLICT")
        }
        if traits.contains(.change) {
            add(400, "BAD_REQUEST", "INVALID_REQUEST")
            add(413, "PAYLOAD_TOO_LARGE")
            add(415, "UNSUPPORTED_MEDIA_TYPE")
            add(429, "RATE_LIMIT_EXCEEDED")
        }
        // The HTTP layer's limits (`--request-line-bytes-max`, `--header-block-bytes-max`, `--header-count-max`).
        add(414, "URI_TOO_LONG")
        add(431, "HEADER_FIELDS_TOO_LARGE")
        add(401, "AUTHENTICATION_FAILED")
        if traits.contains(.admin) { add(403, "FORBIDDEN") }
        add(500, "INTERNAL_ERROR")
        add(503, "SERVICE_UNAVAILABLE")

        let replayed: KeyValuePairs<String, JSONValue> = ["Idempotent-Replayed": Response.headerRef("IdempotentReplayed")]
        var responses: [(status: String, response: JSONValue)] = []
        for (status, response) in success {
            responses.append((status, traits.contains(.idempotent) ? adding(replayed, to: response) : response))
        }
        for status in errors.keys.sorted() {
            var codes: [String] = []
            for code in errors[status]! where !codes.contains(code) { codes.append(code) }
            var response = errorResponse(status, codes)
            // Business outcomes are stored with the key and replayed (API.md, "Idempotency").
            if traits.contains(.idempotent) && (status == 404 || status == 409) { response = adding(replayed, to: response) }
            responses.append((String(status), response))
        }
        return OperationDescription(operationID: id, summary: summary, details: details, tags: [tag], parameters: parameters,
                                    requestBody: body, responses: responses, security: [["bearerAuth": []], [:]])
    }

    /// `limit` (`minimum`…`maximum`, `defaultLimit` when absent) and `cursor`, the query of a listing.
    static func paging(minimum: Int, maximum: Int, defaultLimit: Int) -> [JSONValue] {
        [
            Parameter.query("limit", Schema.integer(minimum: Int64(minimum), maximum: Int64(maximum)), "Page size (default \(defaultLimit))."),
            Parameter.query("cursor", Schema.string(maxLength: 1024), "`nextCursor` of the previous page."),
        ]
    }

    /// An error response for `status` whose code is one of `codes`, with the headers that status carries.
    static func errorResponse(_ status: Int, _ codes: [String]) -> JSONValue {
        let text = codes.map { "`\($0)`: \(meaning[$0] ?? "see API.md")" }.joined(separator: "; ")
        let schema = Schema.allOf([
            Schema.ref("Error"),
            Schema.object(["error": Schema.object(["code": Schema.string(values: codes)])]),
        ])
        let headers: KeyValuePairs<String, JSONValue>
        switch status {
        case 401: headers = ["WWW-Authenticate": Response.headerRef("WWWAuthenticate")]
        case 429: headers = ["Retry-After": Response.headerRef("RetryAfter"), "RateLimit-Policy": Response.headerRef("RateLimitPolicy"),
                             "RateLimit": Response.headerRef("RateLimit")]
        case 503: headers = ["Retry-After": Response.headerRef("RetryAfter")]
        default: headers = [:]
        }
        return Response.body(text, schema, example: errorExample(codes[0]), headers: headers)
    }

    /// What each error code means, for the response descriptions (API.md, "Errors" and the routes).
    static let meaning: [String: String] = [
        "BAD_REQUEST": "malformed JSON, or a body that is not a JSON object",
        "INVALID_REQUEST": "a field, parameter or header is invalid (`details` names each)",
        "MISSING_IDEMPOTENCY_KEY": "`Idempotency-Key` is required here",
        "IDEMPOTENCY_CONFLICT": "this `Idempotency-Key` was used with a different request",
        "PAYLOAD_TOO_LARGE": "the body is over `--body-bytes-max`",
        "UNSUPPORTED_MEDIA_TYPE": "the body is not `application/json`",
        "RATE_LIMIT_EXCEEDED": "the caller's rate limit is used up; retry after `Retry-After` seconds",
        "AUTHENTICATION_FAILED": "with `AUTH_MODE=jwt`: no valid bearer token",
        "FORBIDDEN": "with `AUTH_MODE=jwt`: the token lacks the `admin` role",
        "URI_TOO_LONG": "the request line is over `--request-line-bytes-max`; the connection closes",
        "HEADER_FIELDS_TOO_LARGE": "the header block is over `--header-block-bytes-max` or has more than `--header-count-max` fields; the connection closes",
        "INTERNAL_ERROR": "a bug; the server's log line carries the `traceId`",
        "SERVICE_UNAVAILABLE": "not ready yet, draining, or the writer queue is full; retry after `Retry-After` seconds",
        "EVENT_NOT_FOUND": "no event has this id",
        "EVENT_ALREADY_EXISTS": "an event with this id exists",
        "SEAT_UNAVAILABLE": "a requested seat is held or sold, or fewer seats than `quantity` are free",
        "HOLD_LIMIT_EXCEEDED": "the caller has `--max-live-holds-per-user` live holds already",
        "RESERVATION_NOT_FOUND": "no reservation of this caller has this id",
        "RESERVATION_EXPIRED": "the hold's deadline has passed",
        "RESERVATION_ALREADY_CONFIRMED": "the reservation is confirmed (final)",
        "RESERVATION_ALREADY_CANCELLED": "the reservation is cancelled (final)",
        "HOLD_EXTENSION_LIMIT": "the hold was extended `--max-hold-extensions` times, or would pass `--max-hold-seconds`",
    ]

    private static func adding(_ headers: KeyValuePairs<String, JSONValue>, to response: JSONValue) -> JSONValue {
        guard case .object(var object) = response else { return response }
        var fields = object["headers"]?.objectValue ?? JSONObject()
        for (name, header) in headers { fields[name] = header }
        object["headers"] = .object(fields)
        return .object(object)
    }

    // MARK: - Examples: what the demo event's answers look like

    /// When the examples happen (2026-01-01T12:00:00Z).
    static let exampleTimeMs: Int64 = 1_767_268_800_000
    static let exampleReservationID = "rsv_01kdx5wz00a8ng3rvh2yq6c5tp"

    /// The demo event (`--demo`) as `GET /v1/events/{eventId}` shows it, fresh.
    static var demoEventExample: JSONValue {
        let sections = ["A", "B", "C", "D", "E"]
        let event = Event(key: 1, id: "evt_2025_1001", name: "Traffic Tacos demo concert", currency: "KRW",
                          sections: sections.map { Section(name: $0, seatCount: 100, priceMinor: 10_000) }, createdAtMs: exampleTimeMs)
        let counts = InventoryCounts(sections: sections.map { SectionCounts(name: $0, seatCount: 100, available: 100, held: 0, sold: 0) })
        return parsed(EventRoutes.eventBody(event, counts))
    }

    /// A two-seat hold of the demo event as `GET /v1/reservations/{reservationId}` shows it.
    static var reservationExample: JSONValue {
        let reservation = Reservation(
            id: exampleReservationID, eventID: "evt_2025_1001", userID: "alice", seatIDs: ["A-1", "A-2"], quantity: 2, status: .hold,
            holdExpiresAtMs: exampleTimeMs + 60_000, totalAmount: 20_000, currency: "KRW", createdAtMs: exampleTimeMs, updatedAtMs: exampleTimeMs)
        var writer = JSONWriter(reservingCapacity: 400)
        ReservationRoutes.writeReservation(&writer, reservation)
        return parsed(writer.bytes)
    }

    /// The error the server sends for `code`, with the service's own message where the service makes it.
    static func errorExample(_ code: String) -> JSONValue {
        let errors: [ServiceError] = [
            .domain(.eventNotFound), .domain(.eventAlreadyExists), .domain(.seatUnavailable), .domain(.reservationNotFound),
            .domain(.reservationExpired), .domain(.alreadyConfirmed), .domain(.alreadyCancelled), .domain(.holdExtensionLimit),
            .domain(.idempotencyConflict), .missingIdempotencyKey, .unavailable("the write queue is full; retry shortly"),
            .invalid([FieldProblem(field: "quantity", problem: "must be between 1 and 10")]), .internalFailure(""),
        ]
        let error = errors.first { $0.code == code }
        let message = error?.message ?? meaning[code]?.replacingOccurrences(of: "`", with: "") ?? code
        let details = (error?.details ?? []).map { (field: $0.field, problem: $0.problem) }
        return parsed(ErrorBody.make(code: code, message: message, path: "/v1/reservations",
                                     traceID: TraceID(high: 0x4bf9_2f35_77b3_4da6, low: 0xa3ce_929d_0e0e_4736),
                                     timestampMilliseconds: exampleTimeMs, details: details))
    }

    static func time(_ milliseconds: Int64) -> JSONValue { .string(RFC3339.format(milliseconds: milliseconds)) }

    private static func parsed(_ bytes: [UInt8]) -> JSONValue {
        (try? JSON.parse(bytes)) ?? .null
    }

    // MARK: - Components

    /// The schemas, parameters and headers the `/v1/**` descriptions refer to.
    static var components: Components {
        var components = Components()
        let time = Schema.string("RFC 3339, UTC, with `Z`.", format: "date-time")
        let amount = Schema.integer("Minor units of `currency` (e.g. won, cents).", minimum: 0)
        let currency = Schema.string("ISO 4217 code.", pattern: "^[A-Z]{3}$")
        components.schemas["ReservationStatus"] = Schema.string(
            "`HOLD` until confirmed, cancelled or past its deadline; the other three are final.",
            values: ReservationStatus.allCases.map(\.rawValue))
        components.schemas["SeatId"] = Schema.string("`{section}-{n}`, n from 1.", maxLength: ReservationLimits.maxSeatIDBytes,
                                                     pattern: "^[A-Za-z0-9]{1,16}-[1-9][0-9]{0,6}$")
        components.schemas["Reservation"] = Schema.object([
            "reservationId": Schema.string(pattern: "^rsv_"),
            "eventId": Schema.string(),
            "userId": Schema.string("The caller who made it."),
            "quantity": Schema.integer(minimum: 1),
            "seatIds": Schema.array(Schema.ref("SeatId")),
            "status": Schema.ref("ReservationStatus"),
            "holdExpiresAt": Schema.string("The hold's deadline; kept after the hold ends.", format: "date-time"),
            "totalAmount": amount,
            "currency": currency,
            "orderId": Schema.nullable(Schema.string("Set once confirmed.", pattern: "^ord_")),
            "reservationToken": Schema.string("The admission token given when holding, if any."),
            "createdAt": time,
            "updatedAt": time,
        ], required: ["reservationId", "eventId", "userId", "quantity", "seatIds", "status", "holdExpiresAt", "totalAmount",
                      "currency", "orderId", "createdAt", "updatedAt"], "A reservation as its owner sees it.")
        let counts: [(String, JSONValue)] = ["available", "held", "sold"].map { ($0, Schema.integer(minimum: 0)) }
        let totals = [("totalSeats", Schema.integer(minimum: 1))] + counts
        let eventSections = Schema.array(Schema.object([
            "name": Schema.string(),
            "seats": Schema.integer(minimum: 1),
            "price": amount,
        ], required: ["name", "seats", "price"]))
        components.schemas["Event"] = Schema.object(
            [("eventId", Schema.string()), ("name", Schema.string()), ("currency", currency)] + totals
                + [("sections", eventSections), ("createdAt", time)],
            required: ["eventId", "name", "currency", "totalSeats", "available", "held", "sold", "sections", "createdAt"],
            "An event; available + held + sold = totalSeats.")
        let sectionCounts = Schema.array(Schema.object([("name", Schema.string())] + counts, required: ["name", "available", "held", "sold"]))
        components.schemas["Availability"] = Schema.object(
            [("eventId", Schema.string())] + totals + [("sections", sectionCounts)],
            required: ["eventId", "totalSeats", "available", "held", "sold", "sections"])
        components.schemas["Cursor"] = Schema.nullable(Schema.string("Opaque; pass it as `cursor` for the next page."))

        components.parameters["UserId"] = Parameter.header(
            "X-User-Id", Schema.string(minLength: 1, maxLength: 255, pattern: "^[!-~]+$"),
            "The caller, with `AUTH_MODE=none` (the default): 1–255 visible ASCII characters; `anonymous` when absent. Ignored when authentication is on.",
            example: "alice")
        let key = Schema.string(minLength: 1, maxLength: 255, pattern: "^[!-~]+$")
        let keyText = "1–255 visible ASCII characters. A retry with the same key and request replays the first answer "
            + "(`Idempotent-Replayed: true`); the same key with another request is 409 `IDEMPOTENCY_CONFLICT`."
        components.parameters["IdempotencyKeyRequired"] = Parameter.header("Idempotency-Key", key, keyText, required: true, example: "order-42")
        components.parameters["IdempotencyKey"] = Parameter.header("Idempotency-Key", key, keyText, example: "order-42")
        components.parameters["ReservationId"] = Parameter.path(
            "reservationId", Schema.string(minLength: 1, maxLength: 255), "A reservation id (`rsv_…`).", example: .string(exampleReservationID))
        components.parameters["EventId"] = Parameter.path(
            "eventId", Schema.string(minLength: 1, maxLength: 255), "An event id (`evt_…`).", example: "evt_2025_1001")

        components.headers["Location"] = Response.header(Schema.string(), "Where the new resource is read.", required: true)
        components.headers["IdempotentReplayed"] = Response.header(
            Schema.string(values: ["true"]), "Present on a replay of the answer stored for this `Idempotency-Key`.")
        components.headers["RetryAfter"] = Response.header(Schema.string(pattern: "^[0-9]+$"), "Whole seconds to wait before retrying.")
        components.headers["RateLimitPolicy"] = Response.header(
            Schema.string(), "The caller's quota (IETF httpapi RateLimit headers draft), e.g. `\"default\";q=20;w=1`.")
        components.headers["RateLimit"] = Response.header(Schema.string(), "What is left of the quota, e.g. `\"default\";r=0;t=1`.")
        components.headers["WWWAuthenticate"] = Response.header(Schema.string(), "`Bearer`, with the reason (RFC 6750 §3).")
        components.securitySchemes["bearerAuth"] = [
            "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
            "description": "With `AUTH_MODE=jwt`: a JWT (HS256 or RS256) whose `sub` is the caller; a `roles` or `scope` claim with `admin` grants the admin operations. With `AUTH_MODE=none` (the default) no token is needed.",
        ]
        return components
    }
}
