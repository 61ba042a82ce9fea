import HTTP1
import HTTPServer
import JSON
import Logging
import Reservations
import Service

/// The REST door (API.md): registers the `/v1/**` routes and translates between HTTP/JSON and the
/// reservation service. Nothing here decides anything about reservations.
public final class RESTAPI: Sendable {
    let service: ReservationService
    let log: Log
    let outbox: OutboxAccess?

    /// - Parameter outbox: the feed behind the `/v1/outbox/**` routes; nil leaves them out.
    public init(service: ReservationService, log: Log, outbox: OutboxAccess? = nil) {
        self.service = service
        self.log = log
        self.outbox = outbox
    }

    public func register(on router: inout RouterBuilder) {
        EventRoutes(api: self).register(on: &router)
        ReservationRoutes(api: self).register(on: &router)
        if let outbox { OutboxRoutes(api: self, outbox: outbox).register(on: &router) }
    }

    /// Runs a handler once the server is ready and the caller is known, and answers whatever it
    /// throws: a service error with its status, a body that cannot be read with 400 or 415.
    func handle(_ context: inout RequestContext, _ body: (inout RequestContext, Caller) throws -> HandlerResult) -> HandlerResult {
        do {
            try service.ensureReady()
            let caller = try caller(context)
            context.caller = caller.userID
            return try body(&context, caller)
        } catch let error as ServiceError {
            if case .internalFailure(let detail) = error {
                log.error("request failed", ["route": .string(context.route.template), "traceId": .string(context.traceID().description),
                                             "error": .string(detail)])
            }
            return .respond(Responses.error(&context, error))
        } catch let error as BodyReader.Failure {
            return .respond(error.response(&context))
        } catch {
            return .respond(Responses.error(&context, .internalFailure(String(describing: error))))
        }
    }

    /// `handle` for an admin endpoint: 403 `FORBIDDEN` unless the caller may use it (with auth on,
    /// a token whose roles or scope contain `admin`; with auth off, everyone).
    public func handleAdmin(_ context: inout RequestContext, _ body: (inout RequestContext, Caller) throws -> HandlerResult) -> HandlerResult {
        handle(&context) { context, caller in
            try service.requireAdmin(caller)
            return try body(&context, caller)
        }
    }

    /// The caller: with auth off `X-User-Id` or `anonymous`, with auth on the bearer token's subject.
    func caller(_ context: RequestContext) throws(ServiceError) -> Caller {
        // RFC 9110 §5.5: a new field's value should be visible US-ASCII (API description: 1-255 of them).
        if case .one(let span) = context.uniqueHeader("x-user-id"),
            !context.bytes[span.start..<span.end].allSatisfy({ $0 >= 0x21 && $0 <= 0x7E })
        {
            throw .invalid([FieldProblem(field: "X-User-Id", problem: "must be 1-\(Caller.idBytesMax) visible ASCII characters")])
        }
        let claimed = try Self.singleHeader(context, "x-user-id", field: "X-User-Id")
        var authorization: String?
        switch context.uniqueHeader("authorization") {
        case .absent: break
        case .one(let span): authorization = context.string(of: span)
        case .repeated: throw .unauthenticated(.malformed("Authorization is sent more than once"))
        }
        return try service.caller(Credentials(authorization: authorization, claimedUserID: claimed, claimedField: "X-User-Id"),
                                  loop: context.loopIndex)
    }

    /// A header that may come at most once, as well-formed UTF-8 (so two callers can never merge
    /// into one through replacement characters); 400 naming `field` otherwise.
    static func singleHeader(_ context: RequestContext, _ name: StaticString, field: String) throws(ServiceError) -> String? {
        do throws(HeaderProblem) {
            return try context.singleHeaderString(name)
        } catch {
            throw .invalid([FieldProblem(field: field, problem: error.problem)])
        }
    }

    /// What every call brings: caller, trace, and the request's `Idempotency-Key` with its REST
    /// scope (method and route template) and fingerprint (method, concrete path, canonical body).
    func call(_ context: inout RequestContext, caller: Caller, body: BodyReader) throws(ServiceError) -> CallContext {
        let method = context.head.method.description
        let key = try Self.singleHeader(context, "idempotency-key", field: "Idempotency-Key")
        // Canonical JSON and SHA-256 only for a request that has a key to claim.
        let idempotency = IdempotencyRequest(
            key: key, field: "Idempotency-Key", operation: "\(method)\u{0}\(context.route.template)",
            fingerprint: key == nil ? [] : RequestFingerprint.make(method: method, path: context.path, body: body.object))
        var call = CallContext(caller: caller, traceparent: context.traceparent(), idempotency: idempotency,
                               shapeProblems: body.problems)
        call.clientAddress = context.clientAddress
        return call
    }

    /// Sends `command` to the writer and answers when it has committed; `render` makes the success
    /// body (errors are rendered here, with this request's path and trace id).
    func submit(_ context: inout RequestContext, _ command: ServiceCommand,
                render: @escaping @Sendable (WriteOutcome) -> Reply?) throws(ServiceError) -> HandlerResult {
        let site = ErrorSite(&context)
        guard let promise = context.deferResponse() else {
            throw .unavailable("too many requests in flight; retry shortly")
        }
        do {
            try service.submit(command, render: { outcome in
                if let error = outcome.error { return site.render(.domain(error)) }
                return render(outcome) ?? site.render(.domain(.storageFailure))
            }, deliver: { delivery in
                promise.complete(delivery.httpResponse)
            })
        } catch {
            promise.complete(site.render(error).httpResponse)
        }
        return .deferred
    }
}

/// HTTP statuses of the error classes (API.md, "Errors"; RPC.md's table read from the REST side).
enum RESTStatus {
    static func of(_ errorClass: ErrorClass) -> Int {
        switch errorClass {
        case .invalidArgument: 400
        case .unauthenticated: 401
        case .permissionDenied: 403
        case .notFound: 404
        case .alreadyExists, .aborted, .failedPrecondition: 409
        case .resourceExhausted: 429
        case .internal: 500
        case .unimplemented: 501
        case .unavailable: 503
        case .deadlineExceeded: 504
        }
    }
}

/// Builders for the responses every handler shares.
enum Responses {
    static func json(_ status: Int, _ body: [UInt8], headers: [HTTPHeader] = []) -> HTTPResponse {
        HTTPResponse(status: status, contentType: .json, headers: headers, body: body)
    }

    static func error(_ context: inout RequestContext, status: Int, code: String, message: String,
                      details: [FieldProblem] = [], headers: [HTTPHeader] = []) -> HTTPResponse {
        let body = ErrorBody.make(code: code, message: message, path: context.path, traceID: context.traceID(),
                                  timestampMilliseconds: context.receivedAtMilliseconds,
                                  details: details.map { (field: $0.field, problem: $0.problem) })
        return HTTPResponse(status: status, contentType: .json, headers: headers, body: body)
    }

    static func error(_ context: inout RequestContext, _ error: ServiceError) -> HTTPResponse {
        ErrorSite(&context).render(error).httpResponse
    }
}

/// What a rendered error needs from its request, captured so the writer thread can render it later.
struct ErrorSite: Sendable {
    let path: String
    let traceID: TraceID
    let timestampMilliseconds: Int64

    init(_ context: inout RequestContext) {
        path = context.path
        traceID = context.traceID()
        timestampMilliseconds = context.receivedAtMilliseconds
    }

    func render(_ error: ServiceError) -> Reply {
        var fields: [ReplyField] = []
        if let seconds = error.retryAfterSeconds { fields.append(ReplyField(name: "retry-after", value: String(seconds))) }
        if case .rateLimited(let refusal) = error {
            // draft-ietf-httpapi-ratelimit-headers: the bucket as a quota per window, and what is left.
            fields.append(ReplyField(name: "ratelimit-policy", value: "\"per-caller\";q=\(refusal.burst);w=\(refusal.windowSeconds)"))
            fields.append(ReplyField(name: "ratelimit", value: "\"per-caller\";r=0;t=\(refusal.retryAfterSeconds)"))
        }
        if case .unauthenticated(let failure) = error {
            // RFC 6750 §3: a request without credentials gets the bare challenge, a bad token the error code.
            fields.append(ReplyField(name: "www-authenticate", value: failure == .missing ? "Bearer" : #"Bearer error="invalid_token""#))
        }
        return render(status: RESTStatus.of(error.errorClass), code: error.code, message: error.message,
                      details: error.details, fields: fields)
    }

    /// An error the service does not name (a REST-only resource such as the outbox).
    func render(status: Int, code: String, message: String, details: [FieldProblem] = [], fields: [ReplyField] = []) -> Reply {
        let body = ErrorBody.make(code: code, message: message, path: path, traceID: traceID,
                                  timestampMilliseconds: timestampMilliseconds,
                                  details: details.map { (field: $0.field, problem: $0.problem) })
        return Reply(code: status, fields: fields, body: body)
    }
}

extension Reply {
    /// A reply of the REST door as its HTTP response.
    var httpResponse: HTTPResponse {
        HTTPResponse(status: code, contentType: body.isEmpty ? .none : .json,
                     headers: fields.map { HTTPHeader($0.name, $0.value) }, body: body)
    }
}

extension Delivery {
    /// The HTTP response; a replay carries `Idempotent-Replayed: true` (API.md, "Idempotency").
    var httpResponse: HTTPResponse {
        var response = reply.httpResponse
        if isReplay { response.headers.append(HTTPHeader("Idempotent-Replayed", "true")) }
        return response
    }
}

/// Reading a JSON request body into fields, collecting one problem per bad field. Only types are
/// checked here; the service checks values.
struct BodyReader {
    enum Failure: Error {
        /// Not JSON, or not an object: 400 BAD_REQUEST.
        case malformed(String)
        /// A body that is not `application/json`: 415.
        case unsupportedMediaType
    }

    let object: JSONObject
    var problems: [FieldProblem] = []

    /// Parses the body as a JSON object. An absent or empty body reads as `{}` when `optional`.
    static func parse(_ context: RequestContext, optional: Bool = false) throws(Failure) -> BodyReader {
        if context.body.isEmpty {
            if optional { return BodyReader(object: JSONObject()) }
            throw .malformed("a JSON body is required")
        }
        guard let type = context.header("content-type"), MediaType.isJSON(context.string(of: type)) else {
            throw .unsupportedMediaType
        }
        let value: JSONValue
        do {
            value = try JSON.parse(context.body)
        } catch {
            throw .malformed("malformed JSON: \(error.message)")
        }
        guard case .object(let object) = value else { throw .malformed("the body must be a JSON object") }
        return BodyReader(object: object)
    }

    mutating func string(_ key: String, required: Bool) -> String? {
        guard let value = object[key], !value.isNull else {
            if required { problems.append(FieldProblem(field: key, problem: "is required")) }
            return nil
        }
        guard case .string(let text) = value else {
            problems.append(FieldProblem(field: key, problem: "must be a string"))
            return nil
        }
        return text
    }

    mutating func integer(_ key: String, required: Bool) -> Int64? {
        guard let value = object[key], !value.isNull else {
            if required { problems.append(FieldProblem(field: key, problem: "is required")) }
            return nil
        }
        switch value {
        case .int(let number):
            return number
        // JSON has one number type: 2.0 or 2e0 is the integer 2, as JSON Schema counts it. Only
        // values a double holds exactly (|n| ≤ 2^53) are taken.
        case .number(let number) where number.rounded(.towardZero) == number && abs(number) <= 9_007_199_254_740_992:
            return Int64(number)
        default:
            problems.append(FieldProblem(field: key, problem: "must be an integer"))
            return nil
        }
    }

    mutating func array(_ key: String, required: Bool) -> [JSONValue]? {
        guard let value = object[key], !value.isNull else {
            if required { problems.append(FieldProblem(field: key, problem: "is required")) }
            return nil
        }
        guard case .array(let items) = value else {
            problems.append(FieldProblem(field: key, problem: "must be an array"))
            return nil
        }
        return items
    }
}

extension BodyReader.Failure {
    func response(_ context: inout RequestContext) -> HTTPResponse {
        switch self {
        case .malformed(let message):
            Responses.error(&context, status: 400, code: "BAD_REQUEST", message: message)
        case .unsupportedMediaType:
            Responses.error(&context, status: 415, code: "UNSUPPORTED_MEDIA_TYPE", message: "the body must be application/json")
        }
    }
}
