import Bytes
import Compression
import EventLoop
import HTTP2
import Protobuf
import RPC
import Reservations
import Service
import Timing

/// A call's answer from the writer, delivered to the connection's loop.
struct GRPCCompletion: Sendable {
    let streamID: UInt32
    let delivery: Delivery
}

/// One HTTP/2 connection on the gRPC port: the sans-IO `HTTP2ServerConnection` fed from the socket,
/// and the gRPC calls on its streams. Used only on its loop thread.
final class GRPCConnectionHandler: ConnectionHandler {
    private let server: GRPCServer
    /// The connection owns this handler and drops it on close, so it always outlives it.
    private unowned(unsafe) let connection: Connection
    private var http2: HTTP2ServerConnection
    private var streams: [UInt32: GRPCStream] = [:]
    /// Request bytes held across all streams (bounded by `connectionBufferBytesMax`).
    private var bufferedBytes = 0
    private var closing = false
    /// When the bytes being handled were read: the start of the streams they open.
    private var readNanoseconds: UInt64 = 0
    /// The route of the last stream opened here.
    private var lastRoute: GRPCRoute?
    /// The array `receive` fills, kept between reads for its storage.
    private var eventScratch: [HTTP2Event] = []

    init(server: GRPCServer, connection: Connection) {
        self.server = server
        self.connection = connection
        http2 = HTTP2ServerConnection(configuration: server.configuration.http2)
        server.metrics?.connections.increment(shard: connection.loop.index)
        connection.setDeadline(inMilliseconds: server.configuration.idleTimeoutMilliseconds)
        flush()
    }

    var isIdle: Bool { streams.isEmpty && !http2.hasWritableOutput }

    // MARK: Connection events

    func connectionDidRead(_ connection: Connection) {
        connection.setDeadline(inMilliseconds: server.configuration.idleTimeoutMilliseconds)
        if !connection.input.isEmpty {
            let input = connection.input.readable
            var events: [HTTP2Event] = []
            swap(&events, &eventScratch)
            readNanoseconds = server.clock.monotonicNanoseconds()
            http2.receive(input, nowNanoseconds: readNanoseconds, into: &events)
            connection.input.consume(input.count)
            for event in events { handle(event) }
            events.removeAll(keepingCapacity: true)
            swap(&events, &eventScratch)
        }
        if connection.peerClosed { connection.closeAfterFlush = true }
        flush()
    }

    func connectionDidComplete(_ connection: Connection, value: any Sendable) {
        guard let completion = value as? GRPCCompletion, let stream = streams[completion.streamID] else { return }
        if let late = stream.deadline?.statusForAnswer(nowNanoseconds: server.clock.monotonicNanoseconds()) {
            finish(completion.streamID, .failure(late))
        } else {
            finish(completion.streamID, RPCReply.result(of: completion.delivery.reply).map { Optional($0) },
                   replayed: completion.delivery.isReplay)
        }
        flush()
    }

    func connectionDidDrain(_ connection: Connection) {
        flush()
    }

    func connectionDeadlinePassed(_ connection: Connection) {
        if closing && connection.closeAfterFlush {
            connection.close()
            return
        }
        if streams.isEmpty {
            // Idle for too long: say goodbye properly, then close.
            http2.beginGracefulShutdown()
            connection.closeAfterFlush = true
            flush()
        } else {
            connection.setDeadline(inMilliseconds: server.configuration.idleTimeoutMilliseconds)
        }
    }

    func connectionWillDrain(_ connection: Connection) {
        // SIGTERM: GOAWAY with the last stream processed; open calls finish, new ones are refused,
        // and the connection closes once they are answered.
        http2.beginGracefulShutdown()
        closing = true
        flush()
    }

    func connectionDidClose(_ connection: Connection) {
        server.metrics?.connections.decrement(shard: connection.loop.index)
        server.metrics?.streams.decrement(shard: connection.loop.index, by: Double(streams.count))
        streams.removeAll()
    }

    /// Hands what HTTP/2 queued to the socket, and applies back-pressure. Frames move to the socket
    /// buffer only while it holds less than `pendingOutputBytesMax`: beyond it they wait inside the
    /// HTTP/2 connection, whose own limits then end a peer that keeps asking (PING or SETTINGS
    /// floods) without reading the answers; and a peer that does not read stops being read.
    private func flush() {
        if connection.output.readableCount < server.configuration.pendingOutputBytesMax || http2.isClosed {
            http2.drainOutput(into: connection.output)
        }
        if http2.isClosed || (http2.canClose && closing) {
            if !closing || !connection.closeAfterFlush {
                // A peer that never reads must not keep a closing connection forever.
                connection.setDeadline(inMilliseconds: Self.closingGraceMilliseconds)
            }
            closing = true
            connection.closeAfterFlush = true
        }
        if connection.output.readableCount >= server.configuration.pendingOutputBytesMax {
            connection.pauseReading()
        } else if connection.isReadingPaused && !connection.peerClosed && !closing {
            connection.resumeReading()
        }
    }

    /// How long a connection that is closing may take to hand over its last frames.
    static let closingGraceMilliseconds: Int64 = 5_000

    // MARK: Streams

    private func handle(_ event: HTTP2Event) {
        switch event {
        case .headers(let streamID, let fields, let endStream):
            open(streamID, fields)
            if endStream { endOfRequest(streamID) }
        case .data(let streamID, let bytes, let endStream):
            receive(streamID, bytes)
            if endStream { endOfRequest(streamID) }
        case .trailers(let streamID, _):
            endOfRequest(streamID)
        case .streamReset(let streamID, _):
            // The client gave up (or the stream was refused): forget it; a late answer is dropped.
            close(streamID)
        case .goAway:
            break
        }
    }

    private func open(_ streamID: UInt32, _ fields: [HeaderField]) {
        var method = ""
        var path = ""
        var contentType = ""
        var refusal: RPCStatus?
        let stream = GRPCStream(startNanoseconds: readNanoseconds)
        for field in fields {
            // By length first: most fields (user-agent, te, …) then cost no string comparison.
            switch field.name.utf8.count {
            case 5 where field.name == ":path": path = field.value
            case 7 where field.name == ":method": method = field.value
            case 9 where field.name == "x-user-id":
                if stream.userID != nil { refusal = Self.repeated("x-user-id") }
                stream.userID = field.value
            case 13 where field.name == "authorization":
                if stream.authorization != nil { refusal = Self.repeated("authorization") }
                stream.authorization = field.value
            case 11 where field.name == "traceparent": stream.traceparent = field.value
            case 12 where field.name == "content-type": contentType = field.value
            case 12 where field.name == "grpc-timeout":
                guard let timeout = GRPCWire.timeoutMilliseconds(field.value) else {
                    refusal = RPCStatus(.invalidArgument, "INVALID_REQUEST: grpc-timeout \"\(field.value)\" is malformed")
                    continue
                }
                stream.deadline = RPCDeadline(timeoutMilliseconds: timeout, nowNanoseconds: readNanoseconds)
            case 13 where field.name == "grpc-encoding": stream.encoding = field.value
            case 15 where field.name == "idempotency-key":
                if stream.idempotencyKey != nil { refusal = Self.repeated("idempotency-key") }
                stream.idempotencyKey = field.value
            default: break
            }
        }
        streams[streamID] = stream
        server.metrics?.streams.increment(shard: connection.loop.index)
        // Not a gRPC request: plain HTTP answers (gRPC PROTOCOL-HTTP2: 415 for other content types).
        guard method == "POST" else {
            http2.sendHeaders(streamID: streamID, fields: [HeaderField(name: ":status", value: "405")], endStream: true)
            close(streamID, reset: true)
            return
        }
        guard contentType == "application/grpc" || contentType.hasPrefix("application/grpc+proto")
            || contentType.hasPrefix("application/grpc;")
        else {
            http2.sendHeaders(streamID: streamID, fields: [HeaderField(name: ":status", value: "415")], endStream: true)
            close(streamID, reset: true)
            return
        }
        // A connection usually repeats its path, and the decoder hands back the same string from
        // its table each time: comparing it with the last one is a pointer check.
        if let lastRoute, lastRoute.path == path {
            stream.route = lastRoute
        } else if let route = server.route(path, loop: connection.loop.index) {
            stream.route = route
            lastRoute = route
        } else {
            finish(streamID, .failure(RPCStatus(.unimplemented, "UNIMPLEMENTED: no method \(path)")))
            return
        }
        if let encoding = stream.encoding, encoding != "identity", encoding != "gzip" {
            finish(streamID, .failure(RPCStatus(.unimplemented, "UNIMPLEMENTED: grpc-encoding \"\(encoding)\" is not supported; supported: gzip, identity")),
                   extra: [HeaderField(name: "grpc-accept-encoding", value: "gzip,identity")])
            return
        }
        if let refusal {
            finish(streamID, .failure(refusal))
        }
    }

    /// Metadata that names who calls or which key must come once: a second value never silently loses.
    private static func repeated(_ name: String) -> RPCStatus {
        RPCStatus(ServiceError.invalid([FieldProblem(field: name, problem: "must be sent at most once")]))
    }

    private func receive(_ streamID: UInt32, _ bytes: [UInt8]) {
        guard let stream = streams[streamID], !stream.answered else { return }
        guard bufferedBytes + bytes.count <= server.configuration.connectionBufferBytesMax else {
            finish(streamID, .failure(RPCStatus(.resourceExhausted, "RESOURCE_EXHAUSTED: too many request bytes in flight on this connection")))
            return
        }
        if stream.buffer.isEmpty { stream.buffer = bytes } else { stream.buffer += bytes }
        bufferedBytes += bytes.count
        if stream.isStreaming { answerMessages(streamID) } else { checkSize(streamID) }
    }

    /// A unary call's message over the limit is refused from its declared length, before it is all here.
    private func checkSize(_ streamID: UInt32) {
        guard let stream = streams[streamID] else { return }
        if case .tooLarge(let length) = GRPCWire.nextMessage(in: stream.buffer, from: 0, messageBytesMax: server.configuration.messageBytesMax) {
            finish(streamID, .failure(RPCStatus(.resourceExhausted, "RESOURCE_EXHAUSTED: a message of \(length) bytes is larger than \(server.configuration.messageBytesMax)")))
        }
    }

    /// Streaming handlers (reflection) answer each complete request message at once.
    private func answerMessages(_ streamID: UInt32) {
        guard let stream = streams[streamID], case .perMessage(let handler)? = stream.route?.call else { return }
        while !stream.answered {
            switch GRPCWire.nextMessage(in: stream.buffer, from: 0, messageBytesMax: server.configuration.messageBytesMax) {
            case .incomplete:
                return
            case .tooLarge(let length):
                finish(streamID, .failure(RPCStatus(.resourceExhausted, "RESOURCE_EXHAUSTED: a message of \(length) bytes is too large")))
                return
            case .malformed:
                finish(streamID, .failure(RPCStatus(.internal, "INTERNAL: malformed message prefix")))
                return
            case .message(let message, let consumed):
                stream.buffer.removeFirst(consumed)
                bufferedBytes -= consumed
                switch decompress(message, encoding: stream.encoding) {
                case .failure(let status):
                    finish(streamID, .failure(status))
                    return
                case .success(let bytes):
                    switch bytes.withUnsafeBytes(handler) {
                    case .success(let response):
                        if !stream.headersSent {
                            http2.sendHeaders(streamID: streamID, fields: Self.responseHeaders(replayed: false), endStream: false)
                            stream.headersSent = true
                        }
                        http2.sendData(streamID: streamID, bytes: GRPCWire.framed(response), endStream: false)
                    case .failure(let status):
                        finish(streamID, .failure(status))
                        return
                    }
                }
            }
        }
    }

    /// The client finished sending: run a unary call, or end a streaming one with OK.
    private func endOfRequest(_ streamID: UInt32) {
        guard let stream = streams[streamID] else { return }
        stream.requestEnded = true
        guard !stream.answered else { return }
        if stream.isStreaming {
            answerMessages(streamID)
            if !stream.answered { finish(streamID, .success(nil)) }
            return
        }
        let message: GRPCWire.Message
        switch GRPCWire.nextMessage(in: stream.buffer, from: 0, messageBytesMax: server.configuration.messageBytesMax) {
        case .message(let found, let consumed) where consumed == stream.buffer.count:
            message = found
        case .tooLarge(let length):
            finish(streamID, .failure(RPCStatus(.resourceExhausted, "RESOURCE_EXHAUSTED: a message of \(length) bytes is too large")))
            return
        default:
            finish(streamID, .failure(RPCStatus(.internal, "INTERNAL: a unary call needs exactly one request message")))
            return
        }
        do throws(RPCStatus) {
            try stream.deadline?.checkBeforeCall(nowNanoseconds: readNanoseconds)
        } catch {
            finish(streamID, .failure(error))
            return
        }
        let request: ArraySlice<UInt8>
        switch decompress(message, encoding: stream.encoding) {
        case .success(let bytes): request = bytes
        case .failure(let status):
            finish(streamID, .failure(status))
            return
        }
        switch stream.route?.call {
        case .reservation(let method)?:
            call(method, request, streamID, stream)
        case .unary(let handler)?:
            finish(streamID, request.withUnsafeBytes(handler).map { Optional($0) })
        case .perMessage?, nil:
            break
        }
    }

    private func call(_ method: RPCMethod, _ request: ArraySlice<UInt8>, _ streamID: UInt32, _ stream: GRPCStream) {
        var context = RPCContext(userID: stream.userID, idempotencyKey: stream.idempotencyKey,
                                 traceparent: stream.traceparent, loop: connection.loop.index, authorization: stream.authorization)
        context.clientAddress = connection.peerAddress
        do throws(RPCStatus) {
            let result = try request.withUnsafeBytes { bytes in Result { () throws(RPCStatus) in try method.call(.proto(bytes), context) } }.get()
            switch result {
            case .message(let bytes):
                finish(streamID, .success(bytes))
            case .write(let command, let render):
                let loop = connection.loop
                guard loop.reserveCompletion() else {
                    throw RPCStatus.tooManyInFlight
                }
                let token = connection.token
                do {
                    try server.service.submit(command, render: render) { delivery in
                        loop.complete(token, with: GRPCCompletion(streamID: streamID, delivery: delivery), reserved: true)
                    }
                } catch {
                    loop.releaseReservation()
                    throw RPCStatus(error)
                }
            }
        } catch {
            finish(streamID, .failure(error))
        }
    }

    private func decompress(_ message: GRPCWire.Message, encoding: String?) -> Result<ArraySlice<UInt8>, RPCStatus> {
        guard message.compressed else { return .success(message.bytes) }
        guard encoding == "gzip" else {
            return .failure(RPCStatus(.internal, "INTERNAL: a compressed message without grpc-encoding"))
        }
        let limit = server.configuration.messageBytesMax
        let inflated = message.bytes.withUnsafeBytes { bytes in
            Result { () throws(InflateError) in try Inflate.gunzip(bytes, maxOutputBytes: limit) }
        }
        switch inflated {
        case .success(let bytes):
            return .success(bytes[...])
        case .failure(.outputTooLarge):
            return .failure(RPCStatus(.resourceExhausted, "RESOURCE_EXHAUSTED: the message decompresses to more than \(limit) bytes"))
        case .failure(let error):
            return .failure(RPCStatus(.internal, "INTERNAL: the gzip message cannot be decompressed (\(error))"))
        }
    }

    // MARK: Answers

    static func responseHeaders(replayed: Bool) -> [HeaderField] {
        replayed ? replayedHeaders : okHeaders
    }

    private static let okHeaders = [HeaderField(name: ":status", value: "200"), HeaderField(name: "content-type", value: "application/grpc")]
    private static let replayedHeaders = okHeaders + [HeaderField(name: "idempotent-replayed", value: "true")]
    private static let okTrailers = [HeaderField(name: "grpc-status", value: "0")]

    /// Ends a call: the message and trailers with grpc-status 0, or the error — Trailers-Only
    /// when no headers went out yet (gRPC PROTOCOL-HTTP2).
    private func finish(_ streamID: UInt32, _ result: Result<[UInt8]?, RPCStatus>, replayed: Bool = false, extra: [HeaderField] = []) {
        guard let stream = streams[streamID], !stream.answered else { return }
        stream.answered = true
        var status = RPCStatus(.ok, "")
        switch result {
        case .success(let message):
            if !stream.headersSent { http2.sendHeaders(streamID: streamID, fields: Self.responseHeaders(replayed: replayed), endStream: false) }
            if let message { http2.sendData(streamID: streamID, bytes: GRPCWire.framed(message), endStream: false) }
            http2.sendHeaders(streamID: streamID, fields: Self.okTrailers, endStream: true)
        case .failure(let failure):
            status = failure
            var fields = stream.headersSent ? [] : Self.responseHeaders(replayed: replayed)
            fields += extra
            fields.append(HeaderField(name: "grpc-status", value: String(failure.code.rawValue)))
            fields.append(HeaderField(name: "grpc-message", value: GRPCWire.percentEncoded(failure.message)))
            if !failure.details.isEmpty {
                fields.append(HeaderField(name: "grpc-status-details-bin", value: GRPCWire.statusDetails(failure)))
            }
            http2.sendHeaders(streamID: streamID, fields: fields, endStream: true)
        }
        if server.metrics != nil, let route = stream.route {
            let seconds = Double(server.clock.monotonicNanoseconds() &- stream.startNanoseconds) / 1e9
            route.record(code: status.code, seconds: seconds, shard: connection.loop.index)
        }
        // The answer is complete; a client still sending is told to stop (RFC 9113 §8.1).
        close(streamID, reset: !stream.requestEnded)
    }

    private func close(_ streamID: UInt32, reset: Bool = false) {
        guard let stream = streams.removeValue(forKey: streamID) else { return }
        bufferedBytes -= stream.buffer.count
        server.metrics?.streams.decrement(shard: connection.loop.index)
        if reset { http2.resetStream(streamID: streamID, errorCode: .noError) }
    }
}

/// What the connection knows of one call. A class so the stream table holds one reference and
/// updates happen in place; only the connection's loop thread touches it.
final class GRPCStream {
    /// What answers the call, once its path is known to be served.
    var route: GRPCRoute?
    var deadline: RPCDeadline?
    var encoding: String?
    var userID: String?
    var authorization: String?
    var idempotencyKey: String?
    var traceparent: String?
    /// Request bytes received and not yet taken as messages.
    var buffer: [UInt8] = []
    var headersSent = false
    var answered = false
    var requestEnded = false
    let startNanoseconds: UInt64

    init(startNanoseconds: UInt64) {
        self.startNanoseconds = startNanoseconds
    }

    var isStreaming: Bool { route?.isStreaming ?? false }
}
