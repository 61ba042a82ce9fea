import Bytes
import EventLoop
import HTTP1
import Timing

/// Per-loop state shared by that loop's connections: the cached Date line and a fast random source.
final class LoopState: @unchecked Sendable {  // used only on its own loop thread (created once per loop, indexed by loop)
    var dateCache = DateCache()
    var random = FastRandom()
    var observability = LoopObservability()
    /// Most unsent bytes a response stream may hold before its slow peer is disconnected.
    let streamPendingBytesMax: Int

    init(streamPendingBytesMax: Int) {
        self.streamPendingBytesMax = streamPendingBytesMax
    }

    func newTraceID() -> TraceID {
        TraceID(high: random.next(), low: random.next())
    }
}

/// The HTTP/1.1 state machine of one connection: parse a head, gather its body, dispatch, write the
/// answer, repeat for pipelined requests — one request at a time, answers in order.
final class HTTPConnectionHandler: ConnectionHandler {
    private enum State {
        /// Waiting for (more of) a request head.
        case head
        /// The head is parsed; waiting for `Content-Length` body bytes.
        case body
        /// The head is parsed; decoding a chunked body (the head was copied out of the input).
        case chunked
        /// A handler promised an answer; nothing more is parsed until it arrives.
        case awaiting
        /// An error was answered; the connection closes once it is written.
        case closing
        /// A handler is sending a response body piece by piece; nothing more is parsed, and the
        /// connection closes when the stream ends.
        case streaming(ResponseStream)
    }

    private let server: HTTPServer
    /// The connection owns this handler and drops it on close, so it always outlives it.
    private unowned(unsafe) let connection: Connection
    private let loopState: LoopState
    private var state = State.head
    private var parser: RequestParser
    private var head = RequestHead()
    private var continueSent = false
    // Chunked bodies: the head bytes and the decoded body, owned here.
    private var chunkedHead: [UInt8] = []
    private var chunkedBody: [UInt8] = []
    private var chunkedDecoder: ChunkedDecoder
    // The request whose answer is awaited.
    private var awaitingKeepAlive = true
    private var awaitingHead = false
    /// The request being answered, for metrics, the access log and the traceparent header.
    private var record = RequestRecord()
    /// Loop time (monotonic ms) when the current request's head was complete: its body's clock.
    private var bodyStartMilliseconds: Int64 = 0
    /// Body bytes of the current request counted in the server's `bodyBudget`.
    private var budgetedBodyBytes = 0

    init(server: HTTPServer, connection: Connection, loopState: LoopState) {
        self.server = server
        self.connection = connection
        self.loopState = loopState
        self.parser = RequestParser(limits: server.parserLimits)
        self.chunkedDecoder = ChunkedDecoder(limits: server.parserLimits)
        connection.setDeadline(inMilliseconds: server.configuration.idleTimeoutMilliseconds)
    }

    var isIdle: Bool {
        if case .head = state { return !parser.hasPartialHead && connection.input.isEmpty }
        return false
    }

    func connectionDidRead(_ connection: Connection) {
        process()
    }

    func connectionDidComplete(_ connection: Connection, value: any Sendable) {
        guard case .awaiting = state else { return }
        let response: HTTPResponse
        if let ready = value as? HTTPResponse {
            response = ready
        } else if let lazy = value as? LazyResponse {
            response = lazy.build()
        } else {
            return
        }
        state = .head
        connection.setDeadline(inMilliseconds: server.configuration.idleTimeoutMilliseconds)
        write(response, keepAlive: awaitingKeepAlive && !response.closeConnection, isHead: awaitingHead)
        if case .closing = state { return }
        process()
    }

    func connectionDidDrain(_ connection: Connection) {
        process()
    }

    func connectionDeadlinePassed(_ connection: Connection) {
        switch state {
        case .head where parser.hasPartialHead, .body, .chunked:
            // RFC 9110 §15.5.9: the request did not arrive in time.
            failRequest(HTTPParseError(.badRequest, "request not received in time"), status: 408, code: "REQUEST_TIMEOUT")
        case .head:
            connection.close()  // idle keep-alive connection
        case .awaiting:
            // The answer is on its way (the writer always completes); keep watching the connection.
            connection.setDeadline(inMilliseconds: server.configuration.idleTimeoutMilliseconds)
        case .streaming(let stream):
            // Whoever feeds the stream keeps it alive (heartbeats); the deadline only keeps the
            // loop waking while it is open.
            if stream.isOpen { connection.setDeadline(inMilliseconds: Self.streamTickMilliseconds) }
        case .closing:
            break
        }
    }

    /// How often a streaming connection's deadline comes round (it only keeps its loop waking).
    static let streamTickMilliseconds: Int64 = 1_000

    func connectionDidClose(_ connection: Connection) {
        releaseBodyBudget()
        if case .streaming(let stream) = state { stream.ended() }
    }

    func connectionWillDrain(_ connection: Connection) {
        // A stream never ends by itself: end it now so the drain need not wait out its grace period.
        if case .streaming(let stream) = state { stream.finish() }
    }

    // MARK: - Parsing

    private func process() {
        let configuration = server.configuration
        while !connection.isClosed {
            if connection.output.readableCount > configuration.pendingOutputBytesMax {
                // A slow reader: stop taking requests until its answers drain.
                connection.pauseReading()
                return
            }
            switch state {
            case .awaiting:
                if connection.input.readableCount > configuration.pipelineBufferBytesMax { connection.pauseReading() }
                return
            case .closing:
                return
            case .streaming(let stream):
                // The peer has nothing more to say on this connection: drop what it sends; when it
                // closes, the stream ends.
                connection.input.clear()
                if connection.peerClosed {
                    stream.ended()
                    connection.close()
                }
                return
            case .head:
                wantInput()
                if connection.input.isEmpty {
                    if connection.peerClosed { connection.closeAfterFlush = true }
                    return
                }
                let hadPartialHead = parser.hasPartialHead
                switch parser.parse(connection.input.readable, into: &head) {
                case .incomplete:
                    if connection.peerClosed { connection.closeAfterFlush = true; return }
                    if !hadPartialHead && parser.hasPartialHead {
                        connection.setDeadline(inMilliseconds: configuration.headTimeoutMilliseconds)
                    }
                    return
                case .failed(let error):
                    if error.kind == .payloadTooLarge, case .contentLength(let length) = head.framing,
                        refuseOversizedBody(declared: length, bytes: connection.input.readable)
                    {
                        return
                    }
                    failRequest(error)
                    return
                case .complete:
                    parser.reset()
                    continueSent = false
                    bodyStartMilliseconds = connection.loop.nowMilliseconds
                    switch head.framing {
                    case .contentLength(let length) where length > server.bodyBytesCheckedAbove:
                        // Larger than some route allows: whether this route takes it is decided
                        // now, and a refused body is never read.
                        if refuseOversizedBody(declared: length, bytes: connection.input.readable) { return }
                        state = .body
                    case .none, .contentLength:
                        state = .body
                    case .chunked:
                        let raw = connection.input.readable
                        chunkedHead.removeAll(keepingCapacity: true)
                        chunkedHead.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[0..<head.length]))
                        connection.input.consume(head.length)
                        chunkedBody.removeAll(keepingCapacity: true)
                        chunkedDecoder = ChunkedDecoder(limits: server.parserLimits)
                        state = .chunked
                    }
                }
            case .body:
                var bodyLength = 0
                if case .contentLength(let length) = head.framing { bodyLength = length }
                let total = head.length + bodyLength
                if connection.input.readableCount < total {
                    wantInput()
                    if connection.peerClosed { connection.closeAfterFlush = true; return }
                    // The buffer grows with what arrives (reads reserve their own room), never
                    // with what a head merely declares.
                    let received = connection.input.readableCount - head.length
                    guard budgetBody(received) else { return }
                    sendContinueIfExpected()
                    armBodyDeadline(received: received)
                    return
                }
                let raw = connection.input.readable
                dispatch(bytes: raw, body: UnsafeRawBufferPointer(rebasing: raw[head.length..<total]))
                connection.input.consume(total)
            case .chunked:
                wantInput()
                sendContinueIfExpected()
                switch chunkedDecoder.decode(connection.input.readable, into: &chunkedBody) {
                case .incomplete(let consumed):
                    connection.input.consume(consumed)
                    if connection.peerClosed { connection.closeAfterFlush = true }
                    let received = chunkedBody.count + connection.input.readableCount
                    guard budgetBody(received) else { return }
                    armBodyDeadline(received: received)
                    return
                case .failed(let error):
                    if error.kind == .payloadTooLarge {
                        let headBytes = chunkedHead
                        let refused = headBytes.withUnsafeBytes { refuseOversizedBody(declared: nil, bytes: $0) }
                        if refused { return }
                    }
                    failRequest(error)
                    return
                case .complete(let consumed):
                    connection.input.consume(consumed)
                    let headBytes = chunkedHead
                    let body = chunkedBody
                    headBytes.withUnsafeBytes { headRaw in
                        body.withUnsafeBytes { bodyRaw in dispatch(bytes: headRaw, body: bodyRaw) }
                    }
                }
            }
        }
    }

    /// Resumes reading that back-pressure paused, unless the peer has finished sending.
    private func wantInput() {
        if connection.isReadingPaused && !connection.peerClosed { connection.resumeReading() }
    }

    /// RFC 9110 §10.1.1: tell a client that waits for it to send the body.
    private func sendContinueIfExpected() {
        guard head.expectsContinue, !continueSent, head.minorVersion == 1 else { return }
        continueSent = true
        connection.output.write("HTTP/1.1 100 Continue\r\n\r\n")
    }

    // MARK: - Dispatch

    private func dispatch(bytes: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer) {
        releaseBodyBudget()
        let keepAlive = head.keepAlive && !connection.loop.isDraining
        let isHead = head.method == .head
        var parameters = PathParameters()
        state = .head
        connection.setDeadline(inMilliseconds: server.configuration.idleTimeoutMilliseconds)
        beginRecord(bytes: bytes)
        switch server.router.match(head.method, path: head.path, in: bytes, parameters: &parameters) {
        case .found(let route) where body.count > server.bodyBytesMax(route):
            // A chunked body over the route's limit (a declared length was refused before reading).
            record.route = route.template
            record.routeIndex = route.index
            let response = server.bodyRefusal(route) { limit in
                errorResponse(status: 413, code: "PAYLOAD_TOO_LARGE", message: "body larger than \(limit) bytes", bytes: bytes)
            }
            write(response, keepAlive: keepAlive, isHead: isHead)
        case .found(let route):
            record.route = route.template
            record.routeIndex = route.index
            var context = RequestContext(bytes: bytes, head: head, body: body, parameters: parameters, route: route,
                                         connection: connection, loopState: loopState,
                                         receivedAtMilliseconds: connection.loop.wallMilliseconds, traceID: record.traceID)
            let result = route.handler(&context)
            // The access log names the caller the handler established (a token's subject), when it did.
            if record.user != nil, let caller = context.caller { record.user = caller }
            switch result {
            case .respond(let response):
                write(response, keepAlive: keepAlive && !response.closeConnection, isHead: isHead)
            case .deferred:
                precondition(context.promised, "a handler returned .deferred without taking a promise")
                awaitingKeepAlive = keepAlive
                awaitingHead = isHead
                state = .awaiting
            case .streaming(let stream):
                // The body is close-delimited (RFC 9112 §6.3): the connection ends with the stream.
                write(stream.head, keepAlive: false, isHead: isHead, streaming: true)
                if isHead {
                    stream.ended()
                } else {
                    state = .streaming(stream)
                    connection.setDeadline(inMilliseconds: Self.streamTickMilliseconds)
                }
            }
        case .methodNotAllowed(let allow):
            record.route = "METHOD_NOT_ALLOWED"
            record.routeIndex = server.router.routeCount + 1
            let response = errorResponse(status: 405, code: "METHOD_NOT_ALLOWED", message: "\(head.method) is not allowed here",
                                         bytes: bytes, headers: [HTTPHeader("allow", allow)])
            write(response, keepAlive: keepAlive, isHead: isHead)
        case .notFound:
            record.route = "NOT_FOUND"
            record.routeIndex = server.router.routeCount
            let response = errorResponse(status: 404, code: "NOT_FOUND", message: "no route for this path", bytes: bytes)
            write(response, keepAlive: keepAlive, isHead: isHead)
        }
    }

    /// Starts the record of a parsed request: its clock, its trace id (the incoming `traceparent`'s
    /// or a new one) and, when the access log will want it, the caller.
    private func beginRecord(bytes: UnsafeRawBufferPointer) {
        record.hasRecord = server.observability != nil
        record.method = head.method
        record.startNanoseconds = server.observability == nil ? 0 : SystemClock().monotonicNanoseconds()
        record.traceID = loopState.newTraceID()
        record.user = nil
        for field in head.headers where field.name.count == 11 && HTTPBytes.equalsLowercase(bytes, field.name, "traceparent") {
            if let incoming = TraceID.parseTraceparent(UnsafeRawBufferPointer(rebasing: bytes[field.value.start..<field.value.end])) {
                record.traceID = incoming
            }
            break
        }
        if let observability = server.observability, observability.log != nil, loopState.observability.sampled(observability.accessLogSampleRate) {
            record.user = "anonymous"
            for field in head.headers where field.name.count == 9 && HTTPBytes.equalsLowercase(bytes, field.name, "x-user-id") {
                record.user = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[field.value.start..<field.value.end]), as: UTF8.self)
                break
            }
        }
    }

    private func errorResponse(status: Int, code: String, message: String, bytes: UnsafeRawBufferPointer, headers: [HTTPHeader] = []) -> HTTPResponse {
        let path = head.path.isEmpty ? "" : String(decoding: UnsafeRawBufferPointer(rebasing: bytes[head.path.start..<head.path.end]), as: UTF8.self)
        let body = ErrorBody.make(code: code, message: message, path: path, traceID: record.traceID, timestampMilliseconds: connection.loop.wallMilliseconds)
        return HTTPResponse(status: status, headers: headers, body: body)
    }

    /// Refuses a body over the limit of the route it is for (`bytes` holds the head), before reading
    /// the rest of it, and closes (the unread body would otherwise be read as the next request).
    /// False when the route takes a body of the `declared` length; a nil length is a chunked body
    /// already over every limit.
    private func refuseOversizedBody(declared length: Int?, bytes raw: UnsafeRawBufferPointer) -> Bool {
        var parameters = PathParameters()
        var route: Route?
        if case .found(let found) = server.router.match(head.method, path: head.path, in: raw, parameters: &parameters) {
            route = found
        }
        if let length, length <= server.bodyBytesMax(route) { return false }
        beginRecord(bytes: raw)
        record.route = route?.template ?? "UNPARSEABLE"
        record.routeIndex = route?.index ?? server.router.routeCount + 2
        let response = server.bodyRefusal(route) { limit in
            errorResponse(status: 413, code: "PAYLOAD_TOO_LARGE", message: "body larger than \(limit) bytes", bytes: raw)
        }
        state = .closing
        write(response, keepAlive: false, isHead: head.method == .head)
        connection.input.clear()
        return true
    }

    // MARK: - Bodies in flight

    /// Counts `received` body bytes of the current request against the server-wide budget;
    /// when the budget is spent, answers 503 and closes (false).
    private func budgetBody(_ received: Int) -> Bool {
        guard received > budgetedBodyBytes else { return true }
        if server.bodyBudget.acquire(received - budgetedBodyBytes) {
            budgetedBodyBytes = received
            return true
        }
        failRequest(HTTPParseError(.badRequest, "too many request bytes in flight on this server; retry shortly"),
                    status: 503, code: "SERVICE_UNAVAILABLE", headers: [HTTPHeader("retry-after", "1")])
        return false
    }

    private func releaseBodyBudget() {
        guard budgetedBodyBytes > 0 else { return }
        server.bodyBudget.release(budgetedBodyBytes)
        budgetedBodyBytes = 0
    }

    /// A body gets the head timeout, plus one second for every `bodyBytesPerSecondMin` bytes that
    /// arrived, and never more than `bodyTimeoutMilliseconds` in all: a client that trickles a
    /// byte at a time runs out of time instead of holding its connection forever.
    private func armBodyDeadline(received: Int) {
        let configuration = server.configuration
        let earned = Int64(received) * 1000 / Int64(max(configuration.bodyBytesPerSecondMin, 1))
        let allowed = min(configuration.headTimeoutMilliseconds + earned, configuration.bodyTimeoutMilliseconds)
        connection.setDeadline(inMilliseconds: bodyStartMilliseconds + allowed - connection.loop.nowMilliseconds)
    }

    /// Answers a request that cannot be parsed or framed, then closes (its framing is unknown).
    private func failRequest(_ error: HTTPParseError, status: Int? = nil, code: String? = nil, headers: [HTTPHeader] = []) {
        releaseBodyBudget()
        let status = status ?? error.status
        let code = code ?? Self.code(for: error.kind)
        record = RequestRecord()
        record.hasRecord = server.observability != nil
        record.method = .other
        record.route = "UNPARSEABLE"
        record.routeIndex = server.router.routeCount + 2
        record.startNanoseconds = record.hasRecord ? SystemClock().monotonicNanoseconds() : 0
        record.traceID = loopState.newTraceID()
        if let observability = server.observability, observability.log != nil, loopState.observability.sampled(observability.accessLogSampleRate) {
            record.user = "anonymous"
        }
        let body = ErrorBody.make(code: code, message: error.reason, path: pathOfFailedRequest(), traceID: record.traceID,
                                  timestampMilliseconds: connection.loop.wallMilliseconds)
        state = .closing
        connection.input.clear()
        write(HTTPResponse(status: status, headers: headers, body: body), keepAlive: false, isHead: false)
    }

    /// The path of the request that failed, when its request line was read (empty otherwise).
    private func pathOfFailedRequest() -> String {
        let span = head.path
        guard !span.isEmpty else { return "" }
        if case .chunked = state {
            guard span.end <= chunkedHead.count else { return "" }
            return String(decoding: chunkedHead[span.start..<span.end], as: UTF8.self)
        }
        let raw = connection.input.readable
        guard span.end <= raw.count else { return "" }
        return String(decoding: UnsafeRawBufferPointer(rebasing: raw[span.start..<span.end]), as: UTF8.self)
    }

    private static func code(for kind: HTTPParseError.Kind) -> String {
        switch kind {
        case .badRequest: "BAD_REQUEST"
        case .uriTooLong: "URI_TOO_LONG"
        case .headerFieldsTooLarge: "HEADER_FIELDS_TOO_LARGE"
        case .payloadTooLarge: "PAYLOAD_TOO_LARGE"
        case .notImplemented: "NOT_IMPLEMENTED"
        case .versionNotSupported: "HTTP_VERSION_NOT_SUPPORTED"
        case .expectationFailed: "EXPECTATION_FAILED"
        }
    }

    // MARK: - Writing

    /// Writes `response`; with `streaming`, only its head, without a length (the stream sends the
    /// body and the connection's close ends it).
    private func write(_ response: HTTPResponse, keepAlive: Bool, isHead: Bool, streaming: Bool = false) {
        let output = connection.output
        loopState.dateCache.update(wallSeconds: connection.loop.wallSeconds)
        ResponseHead.writeStatusLine(response.status, into: output)
        loopState.dateCache.line.withUnsafeBytes { output.write($0) }
        if response.contentType != .none {
            ResponseHead.writeHeader("content-type", response.contentType.headerValue, into: output)
        }
        // RFC 9110 §8.6: a 304 carries no content, and a Content-Length would have to be the 200's.
        let notModified = response.status == 304
        if !streaming && !notModified { ResponseHead.writeHeader("content-length", decimal: response.body.count, into: output) }
        for header in response.headers {
            output.write(header.name)
            output.write(": ")
            output.write(header.value)
            output.write("\r\n")
        }
        if !keepAlive {
            output.write("connection: close\r\n")
        } else if head.minorVersion == 0 {
            output.write("connection: keep-alive\r\n")
        }
        // W3C Trace Context: this server's span, in the request's trace.
        output.write("traceparent: 00-")
        writeHex(record.traceID.high, into: output)
        writeHex(record.traceID.low, into: output)
        output.writeByte(0x2D)
        writeHex(loopState.random.next() | 1, into: output)
        output.write("-01\r\n")
        output.write("\r\n")
        if !isHead && !notModified { output.write(response.body) }
        if record.hasRecord { observe(status: response.status, bytes: isHead ? 0 : response.body.count) }
        if streaming && !isHead { return }
        if !keepAlive {
            state = .closing
            connection.closeAfterFlush = true
        }
    }
}

extension HTTPConnectionHandler {
    /// Records the finished request in the latency histogram and, when sampled, the access log.
    private func observe(status: Int, bytes: Int) {
        guard let observability = server.observability else { return }
        let duration = SystemClock().monotonicNanoseconds() &- record.startNanoseconds
        loopState.observability.histogram(observability, method: record.method, route: record.route, routeIndex: record.routeIndex, status: status)
            .observe(shard: connection.loop.index, nanoseconds: duration)
        if record.user != nil {
            loopState.observability.appendAccessLine(record, status: status, bytes: bytes, durationNanoseconds: duration,
                                                     wallMilliseconds: connection.loop.wallMilliseconds)
        }
        record.hasRecord = false
    }

    private func writeHex(_ value: UInt64, into output: ByteBuffer) {
        let digits: StaticString = "0123456789abcdef"
        var shift: UInt64 = 60
        while true {
            output.writeByte(digits.utf8Start[Int((value >> shift) & 0xF)])
            if shift == 0 { break }
            shift -= 4
        }
    }
}
