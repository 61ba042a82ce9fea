import HTTPServer
import JSON
import OpenAPI
import Reservations
import Service
import Timing

/// `POST /v1/events`, `GET /v1/events/{eventId}`, `/availability` and `/seats` (API.md, "Events and inventory").
struct EventRoutes {
    let api: RESTAPI

    func register(on router: inout RouterBuilder) {
        router.add(.post, "/v1/events") { context in api.handleAdmin(&context, create) }
        router.describe(.post, "/v1/events", Self.describeCreate)
        router.add(.get, "/v1/events/{eventId}") { context in api.handle(&context, show) }
        router.describe(.get, "/v1/events/{eventId}", Self.describeShow)
        router.add(.get, "/v1/events/{eventId}/availability") { context in api.handle(&context, availability) }
        router.describe(.get, "/v1/events/{eventId}/availability", Self.describeAvailability)
        router.add(.get, "/v1/events/{eventId}/seats") { context in api.handle(&context, seats) }
        router.describe(.get, "/v1/events/{eventId}/seats", Self.describeSeats)
    }

    private func create(_ context: inout RequestContext, _ caller: Caller) throws -> HandlerResult {
        var body = try BodyReader.parse(context)
        let eventID = body.string("eventId", required: false)
        let name = body.string("name", required: true) ?? ""
        let currency = body.string("currency", required: true) ?? ""
        var sections: [SectionSpec] = []
        if let items = body.array("sections", required: true) {
            for (position, item) in items.enumerated() {
                guard case .object(let section) = item else {
                    body.problems.append(FieldProblem(field: "sections[\(position)]", problem: "must be an object"))
                    continue
                }
                var reader = BodyReader(object: section)
                let sectionName = reader.string("name", required: true) ?? ""
                let seats = reader.integer("seats", required: true) ?? 0
                let price = reader.integer("price", required: true) ?? 0
                body.problems += reader.problems.map { FieldProblem(field: "sections[\(position)].\($0.field)", problem: $0.problem) }
                sections.append(SectionSpec(name: sectionName, seatCount: Int(clamping: seats), priceMinor: price))
            }
        }
        let newEvent = NewEvent(eventID: eventID, name: name, currency: currency, sections: sections)
        var call = try api.call(&context, caller: caller, body: body)
        // Events are not reservations: an Idempotency-Key is honoured only on the reservation routes.
        call.idempotency = nil
        let command = try api.service.createEventCommand(newEvent, call)
        return try api.submit(&context, command) { outcome in
            guard case .eventCreated(let event, let counts) = outcome else { return nil }
            return Reply(code: 201, fields: [ReplyField(name: "location", value: "/v1/events/\(event.id)")],
                         body: Self.eventBody(event, counts))
        }
    }

    private func show(_ context: inout RequestContext, _: Caller) throws -> HandlerResult {
        try lookup(&context) { event, counts in Self.eventBody(event, counts) }
    }

    private func availability(_ context: inout RequestContext, _: Caller) throws -> HandlerResult {
        try lookup(&context) { event, counts in
            var writer = JSONWriter(reservingCapacity: 128 + 64 * counts.sections.count)
            writer.beginObject()
            writer.key("eventId"); writer.string(event.id)
            Self.writeTotals(&writer, counts)
            writer.key("sections")
            writer.beginArray()
            for section in counts.sections {
                writer.beginObject()
                writer.key("name"); writer.string(section.name)
                writer.key("available"); writer.int(section.available)
                writer.key("held"); writer.int(section.held)
                writer.key("sold"); writer.int(section.sold)
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
            return writer.bytes
        }
    }

    private func seats(_ context: inout RequestContext, _: Caller) throws -> HandlerResult {
        guard let eventID = context.parameter(0) else { throw ServiceError.domain(.eventNotFound) }
        var query = SeatQuery(eventID: eventID, section: context.query("section"), cursor: context.query("cursor"))
        if let text = context.query("status") {
            query.status = SeatStatus(rawValue: text)
            if query.status == nil {
                query.shapeProblems.append(FieldProblem(field: "status", problem: "must be one of AVAILABLE, HELD, SOLD"))
            }
        }
        if let text = context.query("limit") {
            query.limit = Int(text) ?? 0
        }
        let page = try api.service.seats(query, loop: context.loopIndex)
        var writer = JSONWriter(reservingCapacity: 64 + 80 * page.seats.count)
        writer.beginObject()
        writer.key("seats")
        writer.beginArray()
        for seat in page.seats {
            writer.beginObject()
            writer.key("seatId"); writer.string(seat.seatID)
            writer.key("section"); writer.string(seat.section)
            writer.key("status"); writer.string(seat.status.rawValue)
            writer.key("price"); writer.int(seat.priceMinor)
            writer.endObject()
        }
        writer.endArray()
        writer.key("nextCursor")
        if let cursor = page.nextCursor { writer.string(cursor) } else { writer.null() }
        writer.endObject()
        return .respond(Responses.json(200, writer.bytes))
    }

    /// Answers 200 with `render(event, counts)`, or 404 when the event does not exist.
    private func lookup(_ context: inout RequestContext, render: (Event, InventoryCounts) -> [UInt8]) throws -> HandlerResult {
        guard let eventID = context.parameter(0) else { throw ServiceError.domain(.eventNotFound) }
        let (event, counts) = try api.service.event(eventID, loop: context.loopIndex)
        return .respond(Responses.json(200, render(event, counts)))
    }

    static func eventBody(_ event: Event, _ counts: InventoryCounts) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 256 + 64 * event.sections.count)
        writer.beginObject()
        writer.key("eventId"); writer.string(event.id)
        writer.key("name"); writer.string(event.name)
        writer.key("currency"); writer.string(event.currency)
        writeTotals(&writer, counts)
        writer.key("sections")
        writer.beginArray()
        for section in event.sections {
            writer.beginObject()
            writer.key("name"); writer.string(section.name)
            writer.key("seats"); writer.int(section.seatCount)
            writer.key("price"); writer.int(section.priceMinor)
            writer.endObject()
        }
        writer.endArray()
        writer.key("createdAt"); writer.string(RFC3339.format(milliseconds: event.createdAtMs))
        writer.endObject()
        return writer.bytes
    }

    private static func writeTotals(_ writer: inout JSONWriter, _ counts: InventoryCounts) {
        writer.key("totalSeats"); writer.int(counts.totalSeats)
        writer.key("available"); writer.int(counts.available)
        writer.key("held"); writer.int(counts.held)
        writer.key("sold"); writer.int(counts.sold)
    }
}

// MARK: - Descriptions (OpenAPI), one per route above

extension EventRoutes {
    private typealias Description = RESTDescription
    private typealias Limits = NewEvent.Limits

    static let describeCreate = Description.operation(
        "createEvent", "Create an event (admin)",
        details: "Seat ids are `{section}-{n}`, n from 1. At most \(Limits.maxSections) sections and \(Limits.maxSeats) seats in all. "
            + "Admins only when authentication is on; `Idempotency-Key` is not honoured here (an event id is its own key).",
        tag: Description.events,
        body: Response.requestBody(
            Schema.object([
                "eventId": Schema.nullable(Schema.string(
                    "Chosen by the caller; generated when absent or null.", pattern: "^evt_[A-Za-z0-9_-]{1,\(Limits.maxEventIDSuffixLength)}$")),
                "name": Schema.string(minLength: 1, maxLength: Limits.maxNameLength),
                "currency": Schema.string("ISO 4217 code.", pattern: "^[A-Z]{3}$"),
                "sections": Schema.array(Schema.object([
                    "name": Schema.string(pattern: "^[A-Za-z0-9]{1,\(Limits.maxSectionNameLength)}$"),
                    "seats": Schema.integer(minimum: 1, maximum: Int64(Limits.maxSeats)),
                    "price": Schema.integer("Minor units of `currency`.", minimum: 0),
                ], required: ["name", "seats", "price"]), "Distinct names, in display order.", minItems: 1, maxItems: Limits.maxSections),
            ], required: ["name", "currency", "sections"]),
            required: true,
            example: ["eventId": "evt_2025_1001", "name": "Traffic Tacos demo concert", "currency": "KRW",
                      "sections": [["name": "A", "seats": 100, "price": 10_000], ["name": "B", "seats": 100, "price": 10_000]]]),
        success: [("201", Response.body("Created; the event as GET shows it.", Schema.ref("Event"), example: RESTDescription.demoEventExample,
                                        headers: ["Location": Response.headerRef("Location")]))],
        errors: [409: ["EVENT_ALREADY_EXISTS"]],
        traits: [.caller, .change, .admin])

    static let describeShow = Description.operation(
        "getEvent", "Read an event", tag: Description.events,
        parameters: [Parameter.ref("EventId")],
        success: [("200", Response.body("The event with its seat counts.", Schema.ref("Event"), example: RESTDescription.demoEventExample))],
        errors: [404: ["EVENT_NOT_FOUND"]],
        traits: [])

    static let describeAvailability = Description.operation(
        "getAvailability", "Seat counts of an event",
        details: "Overall and per section; available + held + sold = totalSeats, always.",
        tag: Description.events,
        parameters: [Parameter.ref("EventId")],
        success: [("200", Response.body("The counts.", Schema.ref("Availability"), example: [
            "eventId": "evt_2025_1001", "totalSeats": 500, "available": 500, "held": 0, "sold": 0,
            "sections": .array(["A", "B", "C", "D", "E"].map { ["name": .string($0), "available": 100, "held": 0, "sold": 0] }),
        ]))],
        errors: [404: ["EVENT_NOT_FOUND"]],
        traits: [])

    static let describeSeats = Description.operation(
        "listSeats", "List an event's seats",
        details: "In seat order (section, then number). Follow `nextCursor` with `cursor`.",
        tag: Description.events,
        parameters: [
            Parameter.ref("EventId"),
            Parameter.query("status", Schema.string(values: SeatStatus.allCases.map(\.rawValue)), "Only seats in this state."),
            Parameter.query("section", Schema.string(), "Only seats of this section.", example: "A"),
        ] + Description.paging(minimum: SeatListing.minLimit, maximum: SeatListing.maxLimit, defaultLimit: SeatListing.defaultLimit),
        success: [("200", Response.body(
            "A page of seats.",
            Schema.object([
                "seats": Schema.array(Schema.object([
                    "seatId": Schema.ref("SeatId"),
                    "section": Schema.string(),
                    "status": Schema.string(values: SeatStatus.allCases.map(\.rawValue)),
                    "price": Schema.integer(minimum: 0),
                ], required: ["seatId", "section", "status", "price"])),
                "nextCursor": Schema.ref("Cursor"),
            ], required: ["seats", "nextCursor"]),
            example: [
                "seats": [["seatId": "A-1", "section": "A", "status": "AVAILABLE", "price": 10_000],
                          ["seatId": "A-2", "section": "A", "status": "AVAILABLE", "price": 10_000]],
                "nextCursor": "A-2",
            ]))],
        errors: [400: ["INVALID_REQUEST"], 404: ["EVENT_NOT_FOUND"]],
        traits: [])
}
