import Bytes
import EventLoop
import HTTP1
import JSON

/// A handler either answers at once or promises to answer later through a `ResponsePromise`.
public typealias HTTPHandler = @Sendable (inout RequestContext) -> HandlerResult

public enum HandlerResult {
    case respond(HTTPResponse)
    /// The handler took a promise with `RequestContext.deferResponse()` and will complete it.
    case deferred
    /// The handler started a stream with `RequestContext.startStream` and keeps it.
    case streaming(ResponseStream)
}

public enum ContentType: Sendable {
    case none
    case json
    case proto
    case text
    case prometheus
    case eventStream
    case html

    var headerValue: StaticString {
        switch self {
        case .none: ""
        case .json: "application/json"
        case .proto: "application/proto"
        case .text: "text/plain; charset=utf-8"
        case .prometheus: "text/plain; version=0.0.4; charset=utf-8"
        case .eventStream: "text/event-stream; charset=utf-8"
        case .html: "text/html; charset=utf-8"
        }
    }
}

public struct HTTPHeader: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A complete response: status, extra headers and the exact body bytes.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var contentType: ContentType
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    /// Ask the connection to close after this response.
    public var closeConnection: Bool

    public init(status: Int, contentType: ContentType = .json, headers: [HTTPHeader] = [], body: [UInt8], closeConnection: Bool = false) {
        self.status = status
        self.contentType = contentType
        self.headers = headers
        self.body = body
        self.closeConnection = closeConnection
    }
}

/// A response made on the loop thread, when it is written.
struct LazyResponse: Sendable {
    let build: @Sendable () -> HTTPResponse
}

/// Answers a deferred request from any thread. Room for the answer was reserved in the loop's
/// inbox when the promise was made, so completing it never blocks and is never refused.
/// Complete each promise exactly once.
public struct ResponsePromise: Sendable {
    let loop: EventLoop
    let token: ConnectionToken

    public func complete(_ response: HTTPResponse) {
        loop.complete(token, with: response, reserved: true)
    }

    /// Completes with a response that `build` makes on the loop thread when it is written, so that
    /// a completing thread that must stay quick (the writer) only hands off.
    public func complete(building build: @escaping @Sendable () -> HTTPResponse) {
        loop.complete(token, with: LazyResponse(build: build), reserved: true)
    }

    /// The loop that will write the answer (for per-loop bookkeeping by the caller).
    public var loopIndex: Int { token.loopIndex }
}

/// A header that may appear at most once.
public enum UniqueHeader {
    case absent
    case one(ByteSpan)
    case repeated
}

/// Why `singleHeaderString` refused a header.
public enum HeaderProblem: Error, Sendable {
    case repeated
    case notUTF8

    /// Words for an error detail.
    public var problem: String {
        switch self {
        case .repeated: "must be sent at most once"
        case .notUTF8: "must be UTF-8"
        }
    }
}

/// What a handler sees of one request. The byte views point into the connection's buffer and are
/// valid only during the handler call: copy what a deferred answer needs.
public struct RequestContext {
    public let bytes: UnsafeRawBufferPointer
    public let head: RequestHead
    public let body: UnsafeRawBufferPointer
    public let parameters: PathParameters
    public let route: Route
    public let loopIndex: Int
    /// Wall-clock milliseconds when the request was dispatched (coarse, per wake-up).
    public let receivedAtMilliseconds: Int64
    let connection: Connection
    let loopState: LoopState
    /// Set once `deferResponse` handed out a promise.
    var promised = false
    /// Who is calling, once the handler knows (for the access log, which otherwise shows the
    /// `X-User-Id` header as sent): with authentication on, the token's subject.
    public var caller: String?
    private let cachedTraceID: TraceID

    init(bytes: UnsafeRawBufferPointer, head: RequestHead, body: UnsafeRawBufferPointer, parameters: PathParameters, route: Route,
         connection: Connection, loopState: LoopState, receivedAtMilliseconds: Int64, traceID: TraceID) {
        self.cachedTraceID = traceID
        self.bytes = bytes
        self.head = head
        self.body = body
        self.parameters = parameters
        self.route = route
        self.connection = connection
        self.loopState = loopState
        self.loopIndex = connection.loop.index
        self.receivedAtMilliseconds = receivedAtMilliseconds
    }

    /// The value of the first header named `lowercaseName` (compared without case).
    public func header(_ lowercaseName: StaticString) -> ByteSpan? {
        for field in head.headers where HTTPBytes.equalsLowercase(bytes, field.name, lowercaseName) { return field.value }
        return nil
    }

    /// The header named `lowercaseName` when it must appear at most once: `.repeated` when the
    /// request sends it twice or more (so a second value can never silently lose to the first).
    public func uniqueHeader(_ lowercaseName: StaticString) -> UniqueHeader {
        var found: ByteSpan?
        for field in head.headers where HTTPBytes.equalsLowercase(bytes, field.name, lowercaseName) {
            if found != nil { return .repeated }
            found = field.value
        }
        return found.map(UniqueHeader.one) ?? .absent
    }

    /// The value of a header that may appear at most once and must be well-formed UTF-8 (an
    /// identity such as a caller id, which replacement characters could merge with another).
    public func singleHeaderString(_ lowercaseName: StaticString) throws(HeaderProblem) -> String? {
        switch uniqueHeader(lowercaseName) {
        case .absent:
            return nil
        case .repeated:
            throw .repeated
        case .one(let span):
            let raw = UnsafeRawBufferPointer(rebasing: bytes[span.start..<span.end])
            guard UTF8Validation.isWellFormed(raw.assumingMemoryBound(to: UInt8.self)) else { throw .notUTF8 }
            return string(of: span)
        }
    }

    public func headerString(_ lowercaseName: StaticString) -> String? {
        header(lowercaseName).map(string(of:))
    }

    public func string(of span: ByteSpan) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[span.start..<span.end]), as: UTF8.self)
    }

    /// The client's IP address bytes (4 or 16; empty when unknown), e.g. to tell anonymous callers apart.
    public var clientAddress: [UInt8] { connection.peerAddress }

    /// The request path as sent (percent-encoded).
    public var path: String { string(of: head.path) }

    /// The `index`th path parameter, percent-decoded; nil if it does not decode to UTF-8.
    public func parameter(_ index: Int) -> String? {
        PercentDecoding.decode(UnsafeRawBufferPointer(rebasing: bytes[parameters[index].start..<parameters[index].end]))
    }

    /// The first query parameter called `name`, percent-decoded (`+` as space).
    public func query(_ name: String) -> String? {
        let query = head.query
        guard !query.isEmpty else { return nil }
        return PercentDecoding.queryValue(UnsafeRawBufferPointer(rebasing: bytes[query.start..<query.end]), name: name)
    }

    /// The W3C trace id of this request: the incoming `traceparent`'s, or a new one.
    public func traceID() -> TraceID { cachedTraceID }

    /// The W3C `traceparent` for work this request causes (e.g. outbox events): the incoming header
    /// when it is valid, otherwise version 00 with this request's trace id and a new span id.
    public mutating func traceparent() -> String {
        if let span = header("traceparent"), TraceID.parseTraceparent(UnsafeRawBufferPointer(rebasing: bytes[span.start..<span.end])) != nil {
            return string(of: span)
        }
        var out = Array("00-".utf8)
        out.append(contentsOf: traceID().hexBytes)
        out.append(0x2D)
        TraceID.appendHex(loopState.random.next() | 1, to: &out)
        out.append(contentsOf: "-01".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// Starts a response whose body is sent piece by piece (Server-Sent Events): the handler returns
    /// `.streaming(stream)` and keeps the stream; the head goes out with `status`, `contentType` and
    /// `headers`, without a length, and the body ends when the stream or the connection closes. The
    /// stream is confined to this loop's thread.
    public func startStream(status: Int = 200, contentType: ContentType, headers: [HTTPHeader] = []) -> ResponseStream {
        // What waits for a slow peer is this stream's bound plus a modest kernel buffer, not the
        // megabytes a send buffer may grow to.
        connection.limitKernelSendBuffer(bytes: ResponseStream.kernelSendBufferBytes)
        return ResponseStream(head: HTTPResponse(status: status, contentType: contentType, headers: headers, body: []),
                       connection: connection, pendingBytesMax: loopState.streamPendingBytesMax)
    }

    /// Promises an answer later; nil when the loop cannot take more pending answers (answer 503).
    /// The connection reads no further pipelined request until the promise is completed.
    public mutating func deferResponse() -> ResponsePromise? {
        precondition(!promised, "a request can be deferred once")
        guard connection.loop.reserveCompletion() else { return nil }
        promised = true
        return ResponsePromise(loop: connection.loop, token: connection.token)
    }
}

/// A response body sent piece by piece on its connection's loop thread (see
/// `RequestContext.startStream`). Sending never blocks: a peer that has more than `pendingBytesMax`
/// bytes waiting for it when more is sent is disconnected, so a slow client never holds anything
/// up (what waits is at most that bound plus one piece).
public final class ResponseStream {
    let head: HTTPResponse
    /// Valid while `isOpen`: the connection handler marks the stream closed when the connection goes.
    private unowned(unsafe) let connection: Connection
    private let pendingBytesMax: Int
    /// The kernel send buffer a stream's connection gets (Linux doubles it).
    static let kernelSendBufferBytes = 32 * 1_024
    /// False once the stream ended: closed here, by the peer, by a drain, or for falling behind.
    public private(set) var isOpen = true

    init(head: HTTPResponse, connection: Connection, pendingBytesMax: Int) {
        self.head = head
        self.connection = connection
        self.pendingBytesMax = pendingBytesMax
    }

    /// Bytes written and not yet taken by the peer's socket.
    public var pendingBytes: Int { isOpen ? connection.output.readableCount : 0 }

    /// Sends `bytes`; false (and the connection closed) when more than `pendingBytesMax` bytes
    /// still wait for the peer, or when the stream has already ended.
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        guard isOpen else { return false }
        guard connection.output.readableCount <= pendingBytesMax else {
            ended()
            connection.close()
            return false
        }
        connection.output.write(bytes)
        connection.flush()
        return isOpen && !connection.isClosed
    }

    /// Ends the body: what was sent is flushed, then the connection closes.
    public func finish() {
        guard isOpen else { return }
        ended()
        connection.closeAfterFlush = true
        connection.flush()
    }

    /// The connection is gone or going; nothing more is sent.
    func ended() {
        isOpen = false
    }
}
