import HTTP1
import HTTPServer
import JSON
import Reservations
import Synchronization

/// One value per event loop, each touched only by its own loop thread.
public final class PerLoop<Value>: @unchecked Sendable {  // element i is used only on loop i's thread
    private var values: [Value]

    public init(_ values: [Value]) { self.values = values }

    public subscript(loop: Int) -> Value { values[loop] }
}

/// Whether start-up (migrations, index rebuild, expiry recovery) has finished and the server is not
/// draining; `/v1/**` answers 503 until it is ready.
public final class Readiness: Sendable {
    private let state = Atomic<Int>(0)  // 0 starting, 1 ready, 2 draining

    public init() {}

    public var isReady: Bool { state.load(ordering: .acquiring) == 1 }
    public var isDraining: Bool { state.load(ordering: .acquiring) == 2 }
    public func markReady() { state.store(1, ordering: .releasing) }
    public func markDraining() { state.store(2, ordering: .releasing) }
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

    static func domain(_ context: inout RequestContext, _ error: DomainError) -> HTTPResponse {
        var headers: [HTTPHeader] = []
        if case .storageFailure = error { headers.append(HTTPHeader("retry-after", "1")) }
        return Self.error(&context, status: error.httpStatus, code: error.code, message: error.message, details: error.details, headers: headers)
    }

    static func unavailable(_ context: inout RequestContext, _ message: String) -> HTTPResponse {
        error(&context, status: 503, code: "SERVICE_UNAVAILABLE", message: message, headers: [HTTPHeader("retry-after", "1")])
    }

    static func internalError(_ context: inout RequestContext) -> HTTPResponse {
        error(&context, status: 500, code: "INTERNAL_ERROR", message: "internal error; the log line carries this trace id")
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

    func render(_ error: DomainError) -> RenderedResponse {
        let body = ErrorBody.make(code: error.code, message: error.message, path: path, traceID: traceID,
                                  timestampMilliseconds: timestampMilliseconds,
                                  details: error.details.map { (field: $0.field, problem: $0.problem) })
        var headers: [ResponseHeader] = []
        if case .storageFailure = error { headers.append(ResponseHeader(name: "retry-after", value: "1")) }
        return RenderedResponse(status: error.httpStatus, headers: headers, body: body)
    }
}

extension RenderedResponse {
    var httpResponse: HTTPResponse {
        HTTPResponse(status: status, contentType: body.isEmpty ? .none : .json,
                     headers: headers.map { HTTPHeader($0.name, $0.value) }, body: body)
    }
}

/// Reading a JSON request body into fields, collecting one problem per bad field.
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
        if let type = context.header("content-type") {
            let value = context.string(of: type).lowercased()
            let mediaType = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            guard mediaType.filter({ $0 != " " && $0 != "\t" }) == "application/json" else { throw .unsupportedMediaType }
        } else {
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

    mutating func string(_ key: String, required: Bool, maxLength: Int = 255) -> String? {
        guard let value = object[key], !value.isNull else {
            if required { problems.append(FieldProblem(field: key, problem: "is required")) }
            return nil
        }
        guard case .string(let text) = value else {
            problems.append(FieldProblem(field: key, problem: "must be a string"))
            return nil
        }
        if required && text.isEmpty {
            problems.append(FieldProblem(field: key, problem: "must not be empty"))
            return nil
        }
        if text.count > maxLength {
            problems.append(FieldProblem(field: key, problem: "must be at most \(maxLength) characters"))
            return nil
        }
        return text
    }

    mutating func integer(_ key: String, required: Bool) -> Int64? {
        guard let value = object[key], !value.isNull else {
            if required { problems.append(FieldProblem(field: key, problem: "is required")) }
            return nil
        }
        guard case .int(let number) = value else {
            problems.append(FieldProblem(field: key, problem: "must be an integer"))
            return nil
        }
        return number
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
