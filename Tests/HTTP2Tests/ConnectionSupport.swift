import Bytes
@testable import HTTP2
import Testing

let clientPreface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

/// Cuts bytes into frames with a reader that accepts any size; fails the test on garbage.
func serverFrames(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> [Frame] {
    var reader = FrameReader(maxFrameSize: 1 << 24 - 1)
    var frames: [Frame] = []
    var offset = 0
    bytes.withUnsafeBytes { raw in
        while offset < raw.count {
            do {
                guard let frame = try reader.next(raw, offset: &offset) else { break }
                frames.append(frame)
            } catch {
                Issue.record("server wrote an invalid frame: \(error)", sourceLocation: sourceLocation)
                return
            }
        }
    }
    #expect(reader.bufferedCount == 0, "server output ends inside a frame", sourceLocation: sourceLocation)
    return frames
}

extension HTTP2Configuration {
    /// Default configuration with some values changed.
    static func make(maxConcurrentStreams: Int = 128, initialWindowSize: Int = 65_535, connectionWindowSize: Int = 1 << 20,
                     maxFrameSize: Int = 16_384, maxHeaderListSize: Int = 16_384, headerTableSize: Int = 4_096,
                     maxQueuedControlFrames: Int = 1_000, maxResetsPerWindow: Int = 200,
                     maxContinuationFrames: Int = 32, maxEmptyDataFrames: Int = 100) -> HTTP2Configuration {
        var configuration = HTTP2Configuration()
        configuration.maxConcurrentStreams = maxConcurrentStreams
        configuration.initialWindowSize = initialWindowSize
        configuration.connectionWindowSize = connectionWindowSize
        configuration.maxFrameSize = maxFrameSize
        configuration.maxHeaderListSize = maxHeaderListSize
        configuration.headerTableSize = headerTableSize
        configuration.maxQueuedControlFrames = maxQueuedControlFrames
        configuration.maxResetsPerWindow = maxResetsPerWindow
        configuration.maxContinuationFrames = maxContinuationFrames
        configuration.maxEmptyDataFrames = maxEmptyDataFrames
        return configuration
    }
}

/// A request's header fields, pseudo-header fields first.
func request(method: String = "POST", path: String = "/reservation.v1.ReservationService/GetReservation",
             extra: [(String, String)] = [("content-type", "application/grpc"), ("te", "trailers")]) -> [HeaderField] {
    fields([(":method", method), (":scheme", "http"), (":path", path), (":authority", "localhost:8011")] + extra)
}

/// A client driving a server connection in memory: it encodes requests with its own HPACK
/// encoder (indexing on, so the server's decoder table is exercised) and reads what the server
/// writes with its own decoder. A class, so that `#expect` can call it.
final class TestClient {
    var connection: HTTP2ServerConnection
    var encoder = HPACKEncoder(maxTableSize: 4_096, huffman: .whenShorter, indexing: true)
    var decoder = HPACKDecoder(maxTableSize: 4_096)
    var nowNanoseconds: UInt64 = 0
    /// Everything the server wrote, as frames, in order.
    var written: [Frame] = []

    /// A connection past the preface: both SETTINGS exchanged and acknowledged, output drained.
    init(_ configuration: HTTP2Configuration = HTTP2Configuration(), settings: [Setting] = [], handshake: Bool = true) {
        connection = HTTP2ServerConnection(configuration: configuration)
        guard handshake else { return }
        let events = connection.receive(clientPreface + wireBytes([.settings(ack: false, settings)]))
        #expect(events.isEmpty)
        let frames = drain()
        #expect(frames.contains(.settings(ack: true, [])))
        #expect(connection.receive(wireBytes([.settings(ack: true, [])])).isEmpty)
        #expect(connection.isSettingsAcknowledged)
    }

    /// Sends frames in one piece.
    @discardableResult
    func send(_ frames: Frame...) -> [HTTP2Event] { send(bytes: wireBytes(frames)) }

    @discardableResult
    func send(bytes: [UInt8]) -> [HTTP2Event] { connection.receive(bytes, nowNanoseconds: nowNanoseconds) }

    /// An HPACK block for `fields`, from this client's encoder.
    func block(_ fields: [HeaderField]) -> [UInt8] {
        var bytes: [UInt8] = []
        encoder.encode(fields, into: &bytes)
        return bytes
    }

    /// HEADERS with END_HEADERS carrying `fields`.
    func headers(_ id: UInt32, _ fields: [HeaderField] = request(), endStream: Bool = false) -> Frame {
        .headers(streamID: id, fragment: block(fields), endStream: endStream, endHeaders: true)
    }

    /// The server's `sendHeaders`.
    @discardableResult
    func respond(streamID: UInt32, fields: [HeaderField], endStream: Bool) -> Bool {
        connection.sendHeaders(streamID: streamID, fields: fields, endStream: endStream)
    }

    /// The server's `sendData`.
    @discardableResult
    func respondData(streamID: UInt32, bytes: [UInt8], endStream: Bool) -> Bool {
        connection.sendData(streamID: streamID, bytes: bytes, endStream: endStream)
    }

    /// Drains the server's output and returns it as frames.
    @discardableResult
    func drain() -> [Frame] {
        let buffer = ByteBuffer(capacity: 1024)
        connection.drainOutput(into: buffer)
        let frames = serverFrames(Array(buffer.readable))
        written += frames
        return frames
    }

    /// Decodes a response header block the server wrote.
    func decode(_ block: [UInt8]) -> [HeaderField] {
        let result = block.withUnsafeBytes { raw in
            Result { () throws(HPACKError) -> HPACKDecoder.DecodedBlock in try decoder.decode(raw, headerListSizeMax: 1 << 20) }
        }
        switch result {
        case .success(let decoded): return decoded.fields
        case .failure(let error):
            Issue.record("server wrote an invalid header block: \(error)")
            return []
        }
    }
}

/// The GOAWAY among `frames`, as (last stream id, error code).
func goAway(in frames: [Frame]) -> (lastStreamID: UInt32, code: HTTP2ErrorCode)? {
    for frame in frames {
        if case let .goAway(last, code, _) = frame { return (last, HTTP2ErrorCode(wire: code)) }
    }
    return nil
}

/// The RST_STREAM codes among `frames`, by stream.
func resets(in frames: [Frame]) -> [UInt32: HTTP2ErrorCode] {
    var codes: [UInt32: HTTP2ErrorCode] = [:]
    for frame in frames {
        if case let .rstStream(id, code) = frame { codes[id] = HTTP2ErrorCode(wire: code) }
    }
    return codes
}

/// DATA payloads among `frames` for one stream, joined.
func dataBytes(in frames: [Frame], stream: UInt32) -> [UInt8] {
    frames.flatMap { frame -> [UInt8] in
        if case let .data(id, data, _, _) = frame, id == stream { return data }
        return []
    }
}
