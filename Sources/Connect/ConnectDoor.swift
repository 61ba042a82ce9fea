import Bytes
import Compression
import HTTP1
import HTTPServer
import JSON
import Protobuf
import RPC
import Reservations
import Service
import Timing

/// The Connect protocol, unary, on the REST port (RPC.md, "Connect on the REST port"):
/// `POST /<service>/<Method>` with `application/proto` or `application/json`, optional
/// `Content-Encoding: gzip` and `Connect-Timeout-Ms`. It translates HTTP into calls of
/// `ReservationRPC` and their results back; it decides nothing itself.
public final class ConnectDoor: Sendable {
    let rpc: ReservationRPC
    let service: ReservationService
    /// Largest request message, after decompression; larger is `resource_exhausted`.
    let messageBytesMax: Int
    let clock: any Clock

    public init(rpc: ReservationRPC, service: ReservationService, messageBytesMax: Int, clock: any Clock = SystemClock()) {
        self.rpc = rpc
        self.service = service
        self.messageBytesMax = messageBytesMax
        self.clock = clock
    }

    /// One route per method of both service names, and per service a route that answers any
    /// other method `unimplemented`.
    public func register(on router: inout RouterBuilder) {
        // A message may be this large on the wire (gzip only makes it smaller); the refusal is a
        // Connect error, so Connect clients can read it.
        let body = BodyPolicy(bytesMax: messageBytesMax) { limit in
            ConnectDoor.error(RPCStatus(.resourceExhausted, "RESOURCE_EXHAUSTED: the request is larger than \(limit) bytes"))
        }
        for method in rpc.methods {
            router.add(.post, "/\(method.serviceName)/\(method.name)", body: body) { [self] context in
                handle(&context, method)
            }
            router.describe(.post, "/\(method.serviceName)/\(method.name)", Self.undescribed)
        }
        for serviceName in ReservationRPC.serviceNames {
            router.add(.post, "/\(serviceName)/{method}", body: body) { context in
                let name = context.parameter(0) ?? ""
                return .respond(ConnectDoor.error(RPCStatus(.unimplemented, "UNIMPLEMENTED: \(serviceName) has no method \(name)")))
            }
            router.describe(.post, "/\(serviceName)/{method}", Self.undescribed)
        }
    }

    /// Connect calls are RPC: RPC.md and `proto/` describe them, not the REST API's OpenAPI document.
    private static let undescribed = UndescribedRoute("a Connect RPC method; RPC.md and proto/ describe it")

    // MARK: Calls

    private func handle(_ context: inout RequestContext, _ method: RPCMethod) -> HandlerResult {
        let request: ConnectRequest
        let nowNanoseconds = clock.monotonicNanoseconds()
        switch ConnectRequest.read(context, messageBytesMax: messageBytesMax, nowNanoseconds: nowNanoseconds) {
        case .request(let read): request = read
        case .refused(let refusal): return .respond(refusal)
        }
        do throws(RPCStatus) {
            try request.deadline?.checkBeforeCall(nowNanoseconds: nowNanoseconds)
            var rpcContext = RPCContext(userID: try Self.single(context, "x-user-id"), idempotencyKey: try Self.single(context, "idempotency-key"),
                                        traceparent: context.traceparent(), loop: context.loopIndex,
                                        authorization: try Self.single(context, "authorization"))
            rpcContext.clientAddress = context.clientAddress
            let call = { (bytes: UnsafeRawBufferPointer) -> Result<RPCResult, RPCStatus> in
                Result { () throws(RPCStatus) in try method.call(request.json ? .json(bytes) : .proto(bytes), rpcContext) }
            }
            let result = try (request.decompressed.map { $0.withUnsafeBytes(call) } ?? call(context.body)).get()
            switch result {
            case .message(let bytes):
                return .respond(response(.success(bytes), method, json: request.json, replayed: false))
            case .write(let command, let render):
                guard let promise = context.deferResponse() else {
                    throw RPCStatus.tooManyInFlight
                }
                let (json, deadline) = (request.json, request.deadline)
                do {
                    try service.submit(command, render: render) { [self] delivery in
                        // The JSON form and the deadline check run on the loop, not the writer.
                        promise.complete { [self] in
                            if let late = deadline?.statusForAnswer(nowNanoseconds: clock.monotonicNanoseconds()) {
                                return ConnectDoor.error(late)
                            }
                            return response(RPCReply.result(of: delivery.reply), method, json: json, replayed: delivery.isReplay)
                        }
                    }
                } catch {
                    promise.complete(ConnectDoor.error(RPCStatus(error)))
                }
                return .deferred
            }
        } catch {
            return .respond(ConnectDoor.error(error))
        }
    }

    /// A header that names who calls or which key: at most once, and UTF-8.
    private static func single(_ context: RequestContext, _ name: StaticString) throws(RPCStatus) -> String? {
        do throws(HeaderProblem) {
            return try context.singleHeaderString(name)
        } catch {
            throw RPCStatus(ServiceError.invalid([FieldProblem(field: "\(name)", problem: error.problem)]))
        }
    }

    /// A result as Connect sends it: 200 with the message (as JSON for JSON clients), or the error.
    private func response(_ result: Result<[UInt8], RPCStatus>, _ method: RPCMethod, json: Bool, replayed: Bool) -> HTTPResponse {
        var headers: [HTTPHeader] = []
        if replayed { headers.append(HTTPHeader("idempotent-replayed", "true")) }
        switch result {
        case .success(let bytes):
            guard json else { return HTTPResponse(status: 200, contentType: .proto, headers: headers, body: bytes) }
            do {
                return HTTPResponse(status: 200, contentType: .json, headers: headers, body: try method.responseJSON(bytes))
            } catch {
                return ConnectDoor.error(RPCStatus(.internal, "INTERNAL_ERROR: \(error.message)"))
            }
        case .failure(let status):
            var response = ConnectDoor.error(status)
            response.headers += headers
            return response
        }
    }

    // MARK: Errors

    /// The Connect error: its HTTP status, and `{"code","message","details":[{"type","value"}]}`
    /// with each detail's bytes in unpadded base64 (the Connect protocol's error format).
    static func error(_ status: RPCStatus, headers: [HTTPHeader] = []) -> HTTPResponse {
        var writer = JSONWriter(reservingCapacity: 192)
        writer.beginObject()
        writer.key("code"); writer.string(status.code.name)
        writer.key("message"); writer.string(status.message)
        if !status.details.isEmpty {
            writer.key("details")
            writer.beginArray()
            for detail in status.details {
                writer.beginObject()
                writer.key("type"); writer.string(detail.typeURL.split(separator: "/").last.map(String.init) ?? detail.typeURL)
                writer.key("value"); writer.string(Base64.encode(detail.value, padded: false))
                writer.endObject()
            }
            writer.endArray()
        }
        writer.endObject()
        var all = headers
        if status.code == .unavailable { all.append(HTTPHeader("retry-after", "1")) }
        return HTTPResponse(status: httpStatus(status.code), contentType: .json, headers: all, body: writer.bytes)
    }

    /// The Connect protocol's HTTP status for each code.
    static func httpStatus(_ code: RPCCode) -> Int {
        switch code {
        case .canceled: 499
        case .invalidArgument, .failedPrecondition, .outOfRange: 400
        case .deadlineExceeded: 504
        case .notFound: 404
        case .alreadyExists, .aborted: 409
        case .permissionDenied: 403
        case .resourceExhausted: 429
        case .unimplemented: 501
        case .unavailable: 503
        case .unauthenticated: 401
        default: 500
        }
    }
}

/// A Connect unary request's headers and body, checked.
struct ConnectRequest: Sendable {
    /// Whether the body (and so the answer) is JSON rather than the binary encoding.
    let json: Bool
    /// The message when the body was compressed; nil when the body is the message.
    let decompressed: [UInt8]?
    /// From `Connect-Timeout-Ms`.
    let deadline: RPCDeadline?

    /// Content encodings a request may use.
    static let encodings = ["gzip", "identity"]

    enum Reading {
        case request(ConnectRequest)
        /// The answer that refuses it.
        case refused(HTTPResponse)
    }

    /// The request, or the answer that refuses it.
    static func read(_ context: RequestContext, messageBytesMax: Int, nowNanoseconds: UInt64) -> Reading {
        let type = context.headerString("content-type").map(MediaType.essence) ?? ""
        let json: Bool
        switch type {
        case "application/json": json = true
        case "application/proto", "application/protobuf": json = false
        default:
            // Not a Connect unary request at all: 415, and what would be accepted.
            return .refused(ConnectDoor.error(
                RPCStatus(.invalidArgument, "INVALID_REQUEST: content-type \"\(type)\" is not application/proto or application/json"),
                headers: [HTTPHeader("accept-post", "application/proto, application/json")]).withStatus(415))
        }
        if let version = context.headerString("connect-protocol-version"), version != "1" {
            return .refused(ConnectDoor.error(RPCStatus(.invalidArgument, "INVALID_REQUEST: connect-protocol-version must be 1, got \"\(version)\"")))
        }
        var deadline: RPCDeadline?
        if let timeout = context.headerString("connect-timeout-ms") {
            // Connect: a positive integer of at most 10 digits.
            guard timeout.utf8.count <= 10, let milliseconds = Int64(timeout), milliseconds >= 0 else {
                return .refused(ConnectDoor.error(RPCStatus(.invalidArgument, "INVALID_REQUEST: connect-timeout-ms \"\(timeout)\" is not 1 to 10 digits")))
            }
            deadline = RPCDeadline(timeoutMilliseconds: milliseconds, nowNanoseconds: nowNanoseconds)
        }
        let encoding = context.headerString("content-encoding")?.lowercased() ?? "identity"
        var decompressed: [UInt8]?
        switch encoding {
        case "identity":
            break
        case "gzip":
            do {
                decompressed = try Inflate.gunzip(context.body, maxOutputBytes: messageBytesMax)
            } catch .outputTooLarge {
                return .refused(ConnectDoor.error(RPCStatus(.resourceExhausted, "RESOURCE_EXHAUSTED: the request decompresses to more than \(messageBytesMax) bytes")))
            } catch {
                return .refused(ConnectDoor.error(RPCStatus(.invalidArgument, "INVALID_REQUEST: the gzip body cannot be decompressed (\(error))")))
            }
        default:
            return .refused(ConnectDoor.error(
                RPCStatus(.unimplemented, "UNIMPLEMENTED: content-encoding \"\(encoding)\" is not supported; supported: \(encodings.joined(separator: ", "))"),
                headers: [HTTPHeader("accept-encoding", encodings.joined(separator: ", "))]))
        }
        return .request(ConnectRequest(json: json, decompressed: decompressed, deadline: deadline))
    }
}

extension HTTPResponse {
    func withStatus(_ status: Int) -> HTTPResponse {
        var response = self
        response.status = status
        return response
    }
}
