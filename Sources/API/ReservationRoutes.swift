import HTTP1
import HTTPServer
import JSON
import OpenAPI
import Reservations
import Service
import Timing

/// `/v1/reservations`: hold, list, read, confirm, cancel and extend (API.md, "Reservations",
/// "Listing and extending holds").
struct ReservationRoutes {
    let api: RESTAPI

    func register(on router: inout RouterBuilder) {
        let limits = api.service.configuration
        router.add(.post, "/v1/reservations") { context in api.handle(&context, create) }
        router.describe(.post, "/v1/reservations", Self.describeHold(maxQuantity: limits.maxQuantity))
        router.add(.get, "/v1/reservations") { context in api.handle(&context, list) }
        router.describe(.get, "/v1/reservations", Self.describeList)
        router.add(.get, "/v1/reservations/{reservationId}") { context in api.handle(&context, show) }
        router.describe(.get, "/v1/reservations/{reservationId}", Self.describeShow)
        router.add(.post, "/v1/reservations/confirm") { context in api.handle(&context) { try confirm(&$0, $1, pathID: nil) } }
        router.describe(.post, "/v1/reservations/confirm", Self.describeConfirm(pathForm: false))
        router.add(.post, "/v1/reservations/{reservationId}/confirm") { context in
            api.handle(&context) { try confirm(&$0, $1, pathID: $0.parameter(0) ?? "") }
        }
        router.describe(.post, "/v1/reservations/{reservationId}/confirm", Self.describeConfirm(pathForm: true))
        router.add(.post, "/v1/reservations/cancel") { context in api.handle(&context) { try cancel(&$0, $1, pathID: nil) } }
        router.describe(.post, "/v1/reservations/cancel", Self.describeCancel(pathForm: false))
        router.add(.post, "/v1/reservations/{reservationId}/cancel") { context in
            api.handle(&context) { try cancel(&$0, $1, pathID: $0.parameter(0) ?? "") }
        }
        router.describe(.post, "/v1/reservations/{reservationId}/cancel", Self.describeCancel(pathForm: true))
        router.add(.post, "/v1/reservations/{reservationId}/extend") { context in
            api.handle(&context) { try extend(&$0, $1, reservationID: $0.parameter(0) ?? "") }
        }
        router.describe(.post, "/v1/reservations/{reservationId}/extend", Self.describeExtend(policy: limits.holdPolicy))
    }

    // MARK: - Create

    private func create(_ context: inout RequestContext, _ caller: Caller) throws -> HandlerResult {
        var body = try BodyReader.parse(context)
        var input = HoldInput(eventID: body.string("eventId", required: true) ?? "",
                              quantity: Int(clamping: body.integer("quantity", required: true) ?? 0),
                              reservationToken: body.string("reservationToken", required: false))
        if let items = body.array("seatIds", required: false) {
            for item in items {
                guard case .string(let seat) = item else {
                    body.problems.append(FieldProblem(field: "seatIds", problem: "must be seat ids such as A-12"))
                    break
                }
                input.seatIDs.append(seat)
            }
        }
        let command = try api.service.holdCommand(input, try api.call(&context, caller: caller, body: body))
        return try api.submit(&context, command) { outcome in
            guard case .held(let reservation, _) = outcome else { return nil }
            var writer = JSONWriter(reservingCapacity: 320)
            writer.beginObject()
            writer.key("reservationId"); writer.string(reservation.id)
            writer.key("status"); writer.string(reservation.status.rawValue)
            writer.key("eventId"); writer.string(reservation.eventID)
            writer.key("seatIds"); Self.writeSeats(&writer, reservation.seatIDs)
            writer.key("quantity"); writer.int(reservation.quantity)
            writer.key("holdExpiresAt"); writer.string(RFC3339.format(milliseconds: reservation.holdExpiresAtMs))
            writer.key("totalAmount"); writer.int(reservation.totalAmount)
            writer.key("currency"); writer.string(reservation.currency)
            if let token = reservation.reservationToken { writer.key("reservationToken"); writer.string(token) }
            writer.key("message"); writer.string("Reservation created successfully")
            writer.endObject()
            return Reply(code: 201, fields: [ReplyField(name: "location", value: "/v1/reservations/\(reservation.id)")],
                         body: writer.bytes)
        }
    }

    // MARK: - Read

    private func show(_ context: inout RequestContext, _ caller: Caller) throws -> HandlerResult {
        guard let id = context.parameter(0) else { throw ServiceError.domain(.reservationNotFound) }
        let reservation = try api.service.reservation(id, caller: caller, loop: context.loopIndex)
        var writer = JSONWriter(reservingCapacity: 400)
        Self.writeReservation(&writer, reservation)
        return .respond(Responses.json(200, writer.bytes))
    }

    private func list(_ context: inout RequestContext, _ caller: Caller) throws -> HandlerResult {
        var query = ListQuery(eventID: context.query("eventId"), cursor: context.query("cursor"))
        query.userID = context.query("userId")
        if let text = context.query("status") {
            query.status = ReservationStatus(rawValue: text)
            if query.status == nil {
                query.shapeProblems.append(FieldProblem(field: "status", problem: "must be one of HOLD, CONFIRMED, CANCELLED, EXPIRED"))
            }
        }
        if let text = context.query("limit") {
            query.limit = Int(text)
            if query.limit == nil {
                query.shapeProblems.append(FieldProblem(
                    field: "limit", problem: "must be an integer between \(ReservationListing.minLimit) and \(ReservationListing.maxLimit)"))
            }
        }
        let page = try api.service.reservations(query, caller: caller, loop: context.loopIndex)
        var writer = JSONWriter(reservingCapacity: 64 + 400 * page.reservations.count)
        writer.beginObject()
        writer.key("reservations")
        writer.beginArray()
        for reservation in page.reservations { Self.writeReservation(&writer, reservation) }
        writer.endArray()
        writer.key("nextCursor")
        if let cursor = page.nextCursor { writer.string(cursor) } else { writer.null() }
        writer.endObject()
        return .respond(Responses.json(200, writer.bytes))
    }

    /// A reservation as GET shows it; its status is already the effective one.
    static func writeReservation(_ writer: inout JSONWriter, _ reservation: Reservation) {
        writer.beginObject()
        writer.key("reservationId"); writer.string(reservation.id)
        writer.key("eventId"); writer.string(reservation.eventID)
        writer.key("userId"); writer.string(reservation.userID)
        writer.key("quantity"); writer.int(reservation.quantity)
        writer.key("seatIds"); writeSeats(&writer, reservation.seatIDs)
        writer.key("status"); writer.string(reservation.status.rawValue)
        writer.key("holdExpiresAt"); writer.string(RFC3339.format(milliseconds: reservation.holdExpiresAtMs))
        writer.key("totalAmount"); writer.int(reservation.totalAmount)
        writer.key("currency"); writer.string(reservation.currency)
        writer.key("orderId")
        if let order = reservation.orderID { writer.string(order) } else { writer.null() }
        if let token = reservation.reservationToken { writer.key("reservationToken"); writer.string(token) }
        writer.key("createdAt"); writer.string(RFC3339.format(milliseconds: reservation.createdAtMs))
        writer.key("updatedAt"); writer.string(RFC3339.format(milliseconds: reservation.updatedAtMs))
        writer.endObject()
    }

    private static func writeSeats(_ writer: inout JSONWriter, _ seats: [String]) {
        writer.beginArray()
        for seat in seats { writer.string(seat) }
        writer.endArray()
    }

    // MARK: - Confirm, cancel, extend

    /// The common start of the actions on one reservation: the body (optional in the
    /// path forms) and the target id from the path or the body, which must agree.
    private func begin(_ context: inout RequestContext, pathID: String?) throws -> (BodyReader, ReservationID) {
        var body = try BodyReader.parse(context, optional: pathID != nil)
        let bodyID = body.string("reservationId", required: pathID == nil)
        if let pathID, let bodyID, bodyID != pathID {
            body.problems.append(FieldProblem(field: "reservationId", problem: "must match the reservation id in the path"))
        }
        return (body, pathID ?? bodyID ?? "")
    }

    private func confirm(_ context: inout RequestContext, _ caller: Caller, pathID: String?) throws -> HandlerResult {
        var (body, id) = try begin(&context, pathID: pathID)
        let input = ConfirmInput(reservationID: id, paymentIntentID: body.string("paymentIntentId", required: true) ?? "")
        let command = try api.service.confirmCommand(input, try api.call(&context, caller: caller, body: body))
        return try api.submit(&context, command) { outcome in
            guard case .confirmed(let order, let reservation, _) = outcome else { return nil }
            var writer = JSONWriter(reservingCapacity: 256)
            writer.beginObject()
            writer.key("orderId"); writer.string(order.id)
            writer.key("reservationId"); writer.string(reservation.id)
            writer.key("status"); writer.string(ReservationStatus.confirmed.rawValue)
            writer.key("totalAmount"); writer.int(order.totalAmount)
            writer.key("currency"); writer.string(order.currency)
            writer.key("message"); writer.string("Reservation confirmed successfully")
            writer.endObject()
            return Reply(code: 200, body: writer.bytes)
        }
    }

    private func cancel(_ context: inout RequestContext, _ caller: Caller, pathID: String?) throws -> HandlerResult {
        let (body, id) = try begin(&context, pathID: pathID)
        let command = try api.service.cancelCommand(CancelInput(reservationID: id), try api.call(&context, caller: caller, body: body))
        return try api.submit(&context, command) { outcome in
            guard case .cancelled(let reservation, _) = outcome else { return nil }
            var writer = JSONWriter(reservingCapacity: 160)
            writer.beginObject()
            writer.key("reservationId"); writer.string(reservation.id)
            writer.key("status"); writer.string(ReservationStatus.cancelled.rawValue)
            writer.key("message"); writer.string("Reservation cancelled successfully")
            writer.endObject()
            return Reply(code: 200, body: writer.bytes)
        }
    }

    private func extend(_ context: inout RequestContext, _ caller: Caller, reservationID: String) throws -> HandlerResult {
        var (body, id) = try begin(&context, pathID: reservationID)
        let input = ExtendInput(reservationID: id, seconds: body.integer("seconds", required: false))
        let command = try api.service.extendCommand(input, try api.call(&context, caller: caller, body: body))
        let maxExtensions = api.service.configuration.holdPolicy.maxExtensions
        return try api.submit(&context, command) { outcome in
            guard case .extended(let reservation, _) = outcome else { return nil }
            var writer = JSONWriter(reservingCapacity: 192)
            writer.beginObject()
            writer.key("reservationId"); writer.string(reservation.id)
            writer.key("status"); writer.string(reservation.status.rawValue)
            writer.key("holdExpiresAt"); writer.string(RFC3339.format(milliseconds: reservation.holdExpiresAtMs))
            writer.key("extensionsUsed"); writer.int(reservation.extensionsUsed)
            writer.key("extensionsLeft"); writer.int(max(0, maxExtensions - reservation.extensionsUsed))
            writer.endObject()
            return Reply(code: 200, body: writer.bytes)
        }
    }
}

// MARK: - Descriptions (OpenAPI), one per route above

extension ReservationRoutes {
    private typealias Description = RESTDescription
    private static let example = RESTDescription.reservationExample
    private static let exampleID = RESTDescription.exampleReservationID
    private static let idField = Schema.string(minLength: 1, maxLength: ReservationLimits.maxTextLength)
    private static let pathFormNote = " A `reservationId` in the body, if any, must equal the path's (else 400)."
    private static let finalStates = ["RESERVATION_EXPIRED", "RESERVATION_ALREADY_CONFIRMED", "RESERVATION_ALREADY_CANCELLED"]

    static func describeHold(maxQuantity: Int) -> OperationDescription {
        let request = Schema.object([
            "eventId": Schema.string(minLength: 1, maxLength: NewEvent.Limits.maxEventIDLength),
            "quantity": Schema.integer("Seats to hold (`--max-quantity`).", minimum: 1, maximum: Int64(maxQuantity)),
            "seatIds": Schema.nullable(Schema.array(
                Schema.ref("SeatId"), "Exactly `quantity` distinct seats of the event; absent, null or empty: the server picks the best available.",
                maxItems: maxQuantity, uniqueItems: true)),
            "reservationToken": Schema.nullable(Schema.string(
                "Opaque admission token (e.g. from a waiting room); stored and echoed.", minLength: 1, maxLength: ReservationLimits.maxTextLength)),
        ], required: ["eventId", "quantity"])
        let created = Schema.object([
            "reservationId": Schema.string(pattern: "^rsv_"),
            "status": Schema.string(values: ["HOLD"]),
            "eventId": Schema.string(),
            "seatIds": Schema.array(Schema.ref("SeatId")),
            "quantity": Schema.integer(minimum: 1),
            "holdExpiresAt": Schema.string(format: "date-time"),
            "totalAmount": Schema.integer(minimum: 0),
            "currency": Schema.string(pattern: "^[A-Z]{3}$"),
            "reservationToken": Schema.string(),
            "message": Schema.string(),
        ], required: ["reservationId", "status", "eventId", "seatIds", "quantity", "holdExpiresAt", "totalAmount", "currency", "message"])
        var createdExample = JSONObject()
        for key in ["reservationId", "status", "eventId", "seatIds", "quantity", "holdExpiresAt", "totalAmount", "currency"] {
            createdExample[key] = example[key]
        }
        createdExample["message"] = "Reservation created successfully"
        let links: JSONValue = [
            "getReservation": Self.link("getReservation"), "confirmReservationById": Self.link("confirmReservationById"),
            "cancelReservationById": Self.link("cancelReservationById"), "extendHold": Self.link("extendHold"),
            "confirmReservation": Self.link("confirmReservation", body: ["reservationId": "$response.body#/reservationId", "paymentIntentId": "pay_1"]),
            "cancelReservation": Self.link("cancelReservation", body: ["reservationId": "$response.body#/reservationId"]),
        ]
        var response = Response.body(
            "Held: every requested seat, or none.", created, example: .object(createdExample),
            headers: ["Location": Response.headerRef("Location")])
        if case .object(var object) = response {
            object["links"] = links
            response = .object(object)
        }
        return Description.operation(
            "holdSeats", "Hold seats",
            details: "Holds `quantity` seats for `--hold-seconds` (60 s): the given `seatIds`, or the best available "
                + "(the lowest-numbered adjacent run in one section, else the lowest-numbered free seats of one section, else any). "
                + "All or nothing. `Idempotency-Key` is required.",
            tag: Description.reservations,
            body: Response.requestBody(request, required: true, example: ["eventId": "evt_2025_1001", "quantity": 2]),
            success: [("201", response)],
            errors: [404: ["EVENT_NOT_FOUND"], 409: ["SEAT_UNAVAILABLE", "HOLD_LIMIT_EXCEEDED"]],
            traits: [.caller, .change, .idempotent, .keyRequired])
    }

    /// An OpenAPI link from a new hold to an operation on it: the id goes into the path, or into `body`.
    private static func link(_ operationID: String, body: JSONValue? = nil) -> JSONValue {
        guard let body else { return ["operationId": .string(operationID), "parameters": ["reservationId": "$response.body#/reservationId"]] }
        return ["operationId": .string(operationID), "requestBody": body]
    }

    static let describeList = Description.operation(
        "listReservations", "List the caller's reservations",
        details: "Newest first. Follow `nextCursor` (opaque, signed; a forged one is 400) with `cursor`.",
        tag: Description.reservations,
        parameters: [
            Parameter.query("status", Schema.ref("ReservationStatus"), "Only reservations in this state."),
            Parameter.query("eventId", Schema.string(), "Only reservations of this event.", example: "evt_2025_1001"),
        ] + Description.paging(minimum: ReservationListing.minLimit, maximum: ReservationListing.maxLimit,
                               defaultLimit: ReservationListing.defaultLimit),
        success: [("200", Response.body(
            "A page of reservations.",
            Schema.object(["reservations": Schema.array(Schema.ref("Reservation")), "nextCursor": Schema.ref("Cursor")],
                          required: ["reservations", "nextCursor"]),
            example: ["reservations": [example], "nextCursor": .null]))],
        traits: [.caller])

    static let describeShow = Description.operation(
        "getReservation", "Read a reservation",
        details: "A `HOLD` whose deadline has passed reads as `EXPIRED` at once. Another caller's reservation is 404.",
        tag: Description.reservations,
        parameters: [Parameter.ref("ReservationId")],
        success: [("200", Response.body("The reservation.", Schema.ref("Reservation"), example: example))],
        errors: [404: ["RESERVATION_NOT_FOUND"]],
        traits: [.caller])

    static func describeConfirm(pathForm: Bool) -> OperationDescription {
        let payment = Schema.string(minLength: 1, maxLength: ReservationLimits.maxTextLength)
        let request = pathForm
            ? Schema.object(["paymentIntentId": payment], required: ["paymentIntentId"])
            : Schema.object(["reservationId": Self.idField, "paymentIntentId": payment], required: ["reservationId", "paymentIntentId"])
        let confirmed = Schema.object([
            "orderId": Schema.string(pattern: "^ord_"),
            "reservationId": Schema.string(),
            "status": Schema.string(values: ["CONFIRMED"]),
            "totalAmount": Schema.integer(minimum: 0),
            "currency": Schema.string(pattern: "^[A-Z]{3}$"),
            "message": Schema.string(),
        ], required: ["orderId", "reservationId", "status", "totalAmount", "currency", "message"])
        let body: JSONValue = pathForm ? ["paymentIntentId": "pay_1"] : ["reservationId": .string(exampleID), "paymentIntentId": "pay_1"]
        return Description.operation(
            pathForm ? "confirmReservationById" : "confirmReservation",
            pathForm ? "Confirm a hold (reservation in the path)" : "Confirm a hold",
            details: "Sells the held seats and creates an order. Two concurrent confirms create exactly one order."
                + (pathForm ? Self.pathFormNote : ""),
            tag: Description.reservations,
            parameters: pathForm ? [Parameter.ref("ReservationId")] : [],
            body: Response.requestBody(request, required: true, example: body),
            success: [("200", Response.body("Confirmed.", confirmed, example: [
                "orderId": "ord_01kdx5x4b8r2c7m0v3n9q1s6wd", "reservationId": .string(exampleID), "status": "CONFIRMED",
                "totalAmount": 20_000, "currency": "KRW", "message": "Reservation confirmed successfully",
            ]))],
            errors: [404: ["RESERVATION_NOT_FOUND"], 409: finalStates],
            traits: [.caller, .change, .idempotent])
    }

    static func describeCancel(pathForm: Bool) -> OperationDescription {
        let request = pathForm ? Schema.object([:]) : Schema.object(["reservationId": Self.idField], required: ["reservationId"])
        let cancelled = Schema.object([
            "reservationId": Schema.string(),
            "status": Schema.string(values: ["CANCELLED"]),
            "message": Schema.string(),
        ], required: ["reservationId", "status", "message"])
        return Description.operation(
            pathForm ? "cancelReservationById" : "cancelReservation",
            pathForm ? "Cancel a hold (reservation in the path)" : "Cancel a hold",
            details: "Releases the seats at once. A confirmed reservation is not cancelled here."
                + (pathForm ? " The body is optional (absent, empty or `{}`)." + Self.pathFormNote : ""),
            tag: Description.reservations,
            parameters: pathForm ? [Parameter.ref("ReservationId")] : [],
            body: Response.requestBody(request, required: !pathForm, example: pathForm ? [:] : ["reservationId": .string(exampleID)]),
            success: [("200", Response.body("Cancelled.", cancelled, example: [
                "reservationId": .string(exampleID), "status": "CANCELLED", "message": "Reservation cancelled successfully",
            ]))],
            errors: [404: ["RESERVATION_NOT_FOUND"], 409: finalStates],
            traits: [.caller, .change, .idempotent])
    }

    static func describeExtend(policy: HoldPolicy) -> OperationDescription {
        let maxSeconds = policy.maxHoldMilliseconds / 1000
        let request = Schema.object([
            "seconds": Schema.nullable(Schema.integer("More time, from now (default: one hold length).", minimum: 1, maximum: maxSeconds)),
        ])
        let extended = Schema.object([
            "reservationId": Schema.string(),
            "status": Schema.string(values: ["HOLD"]),
            "holdExpiresAt": Schema.string(format: "date-time"),
            "extensionsUsed": Schema.integer(minimum: 1),
            "extensionsLeft": Schema.integer(minimum: 0),
        ], required: ["reservationId", "status", "holdExpiresAt", "extensionsUsed", "extensionsLeft"])
        return Description.operation(
            "extendHold", "Extend a hold",
            details: "At most `--max-hold-extensions` times (now \(policy.maxExtensions)), never beyond `--max-hold-seconds` "
                + "(now \(maxSeconds)) after the hold was made. The body is optional." + Self.pathFormNote,
            tag: Description.reservations,
            parameters: [Parameter.ref("ReservationId")],
            body: Response.requestBody(request, required: false, example: ["seconds": 60]),
            success: [("200", Response.body("Extended.", extended, example: [
                "reservationId": .string(exampleID), "status": "HOLD", "holdExpiresAt": RESTDescription.time(RESTDescription.exampleTimeMs + 120_000),
                "extensionsUsed": 1, "extensionsLeft": 0,
            ]))],
            errors: [404: ["RESERVATION_NOT_FOUND"], 409: finalStates + ["HOLD_EXTENSION_LIMIT"]],
            traits: [.caller, .change, .idempotent])
    }
}
