/// The dependency, exclusive bit and weight carried by PRIORITY frames and HEADERS with the
/// PRIORITY flag (RFC 9113 §5.3.2, §6.3). RFC 9113 deprecates the scheme; it is parsed and checked,
/// not acted on.
struct PriorityFields: Sendable, Equatable {
    var exclusive: Bool
    var dependency: UInt32
    /// The weight as sent: the actual weight less one.
    var weight: UInt8
}

/// One parameter of a SETTINGS frame (RFC 9113 §6.5.1).
struct Setting: Sendable, Equatable {
    var identifier: UInt16
    var value: UInt32

    static let headerTableSize: UInt16 = 0x1
    static let enablePush: UInt16 = 0x2
    static let maxConcurrentStreams: UInt16 = 0x3
    static let initialWindowSize: UInt16 = 0x4
    static let maxFrameSize: UInt16 = 0x5
    static let maxHeaderListSize: UInt16 = 0x6
}

/// Why a frame is invalid on its own, whatever the state of its stream.
struct FrameError: Error, Sendable, Equatable {
    var code: HTTP2ErrorCode
    /// A stream error (RFC 9113 §5.4.2) rather than a connection error.
    var isStreamError: Bool = false
    var streamID: UInt32 = 0
    var reason: String

    static func connection(_ code: HTTP2ErrorCode, _ reason: String) -> FrameError {
        FrameError(code: code, reason: reason)
    }
}

/// A frame with its payload decoded (RFC 9113 §6). Payload bytes are copied out of the input, so
/// a frame outlives the buffer it came from.
enum Frame: Sendable, Equatable {
    /// `padding` is nil without the PADDED flag, else the number of padding octets.
    case data(streamID: UInt32, data: [UInt8], endStream: Bool, padding: Int? = nil)
    case headers(streamID: UInt32, fragment: [UInt8], endStream: Bool, endHeaders: Bool, priority: PriorityFields? = nil, padding: Int? = nil)
    case priority(streamID: UInt32, PriorityFields)
    case rstStream(streamID: UInt32, errorCode: UInt32)
    case settings(ack: Bool, [Setting])
    case pushPromise(streamID: UInt32, promisedStreamID: UInt32, fragment: [UInt8], endHeaders: Bool, padding: Int? = nil)
    case ping(ack: Bool, opaqueData: UInt64)
    case goAway(lastStreamID: UInt32, errorCode: UInt32, debugData: [UInt8])
    case windowUpdate(streamID: UInt32, increment: UInt32)
    case continuation(streamID: UInt32, fragment: [UInt8], endHeaders: Bool)
    /// RFC 9113 §5.5: a type this endpoint does not know; its payload is skipped, not kept.
    case unknown(type: UInt8, flags: UInt8, streamID: UInt32, payloadLength: Int)

    // MARK: - Parsing

    /// Decodes the payload of a frame whose header is `header`; `payload` holds exactly
    /// `header.length` octets.
    static func parse(_ header: FrameHeader, payload: UnsafeRawBufferPointer) throws(FrameError) -> Frame {
        precondition(payload.count == header.length)
        let stream = header.streamID
        guard let type = FrameType(rawValue: header.type) else {
            return .unknown(type: header.type, flags: header.flags, streamID: stream, payloadLength: header.length)
        }
        switch type {
        case .data:
            // RFC 9113 §6.1
            if stream == 0 { throw .connection(.protocolError, "DATA on stream 0") }
            let (body, padding) = try unpad(header, payload)
            return .data(streamID: stream, data: Array(body), endStream: header.has(FrameFlags.endStream), padding: padding)

        case .headers:
            // RFC 9113 §6.2
            if stream == 0 { throw .connection(.protocolError, "HEADERS on stream 0") }
            var (body, padding) = try unpad(header, payload)
            var priority: PriorityFields?
            if header.has(FrameFlags.priority) {
                guard body.count >= 5 else { throw .connection(.frameSizeError, "HEADERS too short for its priority fields") }
                priority = readPriority(UnsafeRawBufferPointer(rebasing: body))
                body = body[(body.startIndex + 5)...]
            }
            return .headers(streamID: stream, fragment: Array(body), endStream: header.has(FrameFlags.endStream),
                            endHeaders: header.has(FrameFlags.endHeaders), priority: priority, padding: padding)

        case .priority:
            // RFC 9113 §6.3: a wrong length is a stream error.
            if stream == 0 { throw .connection(.protocolError, "PRIORITY on stream 0") }
            guard header.length == 5 else {
                throw FrameError(code: .frameSizeError, isStreamError: true, streamID: stream, reason: "PRIORITY frame of \(header.length) octets")
            }
            return .priority(streamID: stream, readPriority(payload))

        case .rstStream:
            // RFC 9113 §6.4
            if stream == 0 { throw .connection(.protocolError, "RST_STREAM on stream 0") }
            guard header.length == 4 else { throw .connection(.frameSizeError, "RST_STREAM frame of \(header.length) octets") }
            return .rstStream(streamID: stream, errorCode: readUInt32(payload, at: 0))

        case .settings:
            // RFC 9113 §6.5
            if stream != 0 { throw .connection(.protocolError, "SETTINGS on stream \(stream)") }
            let ack = header.has(FrameFlags.ack)
            if ack, header.length != 0 { throw .connection(.frameSizeError, "SETTINGS ACK with a payload") }
            guard header.length % 6 == 0 else { throw .connection(.frameSizeError, "SETTINGS length \(header.length) is not a multiple of 6") }
            var settings: [Setting] = []
            settings.reserveCapacity(header.length / 6)
            for offset in stride(from: 0, to: header.length, by: 6) {
                let identifier = UInt16(payload[offset]) << 8 | UInt16(payload[offset + 1])
                settings.append(Setting(identifier: identifier, value: readUInt32(payload, at: offset + 2)))
            }
            return .settings(ack: ack, settings)

        case .pushPromise:
            // RFC 9113 §6.6
            if stream == 0 { throw .connection(.protocolError, "PUSH_PROMISE on stream 0") }
            let (body, padding) = try unpad(header, payload)
            guard body.count >= 4 else { throw .connection(.frameSizeError, "PUSH_PROMISE too short") }
            let promised = readUInt32(UnsafeRawBufferPointer(rebasing: body), at: 0) & 0x7FFF_FFFF
            return .pushPromise(streamID: stream, promisedStreamID: promised, fragment: Array(body.dropFirst(4)),
                                endHeaders: header.has(FrameFlags.endHeaders), padding: padding)

        case .ping:
            // RFC 9113 §6.7
            if stream != 0 { throw .connection(.protocolError, "PING on stream \(stream)") }
            guard header.length == 8 else { throw .connection(.frameSizeError, "PING frame of \(header.length) octets") }
            let opaque = UInt64(readUInt32(payload, at: 0)) << 32 | UInt64(readUInt32(payload, at: 4))
            return .ping(ack: header.has(FrameFlags.ack), opaqueData: opaque)

        case .goAway:
            // RFC 9113 §6.8
            if stream != 0 { throw .connection(.protocolError, "GOAWAY on stream \(stream)") }
            guard header.length >= 8 else { throw .connection(.frameSizeError, "GOAWAY frame of \(header.length) octets") }
            return .goAway(lastStreamID: readUInt32(payload, at: 0) & 0x7FFF_FFFF, errorCode: readUInt32(payload, at: 4),
                           debugData: Array(payload[8...]))

        case .windowUpdate:
            // RFC 9113 §6.9
            guard header.length == 4 else { throw .connection(.frameSizeError, "WINDOW_UPDATE frame of \(header.length) octets") }
            return .windowUpdate(streamID: stream, increment: readUInt32(payload, at: 0) & 0x7FFF_FFFF)

        case .continuation:
            // RFC 9113 §6.10
            if stream == 0 { throw .connection(.protocolError, "CONTINUATION on stream 0") }
            return .continuation(streamID: stream, fragment: Array(payload), endHeaders: header.has(FrameFlags.endHeaders))
        }
    }

    /// Splits off the pad length octet and the padding of a PADDED frame (RFC 9113 §6.1).
    private static func unpad(_ header: FrameHeader, _ payload: UnsafeRawBufferPointer) throws(FrameError) -> (Slice<UnsafeRawBufferPointer>, Int?) {
        guard header.has(FrameFlags.padded) else { return (payload[...], nil) }
        guard payload.count >= 1 else { throw .connection(.frameSizeError, "PADDED frame without a pad length") }
        let padLength = Int(payload[0])
        // The padding may not reach into (or past) the pad length octet's own frame data.
        guard padLength < payload.count else { throw .connection(.protocolError, "padding of \(padLength) octets in a \(payload.count)-octet payload") }
        return (payload[1..<(payload.count - padLength)], padLength)
    }

    private static func readPriority(_ bytes: UnsafeRawBufferPointer) -> PriorityFields {
        let word = readUInt32(bytes, at: 0)
        return PriorityFields(exclusive: word & 0x8000_0000 != 0, dependency: word & 0x7FFF_FFFF, weight: bytes[4])
    }

    // MARK: - Serialising

    /// Appends the frame, header and payload, to `output`. Padding is written as zeros.
    func write(into output: inout [UInt8]) {
        switch self {
        case let .data(stream, data, endStream, padding):
            let flags = (endStream ? FrameFlags.endStream : 0) | (padding != nil ? FrameFlags.padded : 0)
            FrameHeader(length: data.count + Self.paddingOverhead(padding), type: .data, flags: flags, streamID: stream).write(into: &output)
            Self.writePadded(data, padding: padding, into: &output)
        case let .headers(stream, fragment, endStream, endHeaders, priority, padding):
            var flags = (endStream ? FrameFlags.endStream : 0) | (endHeaders ? FrameFlags.endHeaders : 0)
            flags |= (padding != nil ? FrameFlags.padded : 0) | (priority != nil ? FrameFlags.priority : 0)
            var body: [UInt8] = []
            if let priority { Self.writePriority(priority, into: &body) }
            body += fragment
            FrameHeader(length: body.count + Self.paddingOverhead(padding), type: .headers, flags: flags, streamID: stream).write(into: &output)
            Self.writePadded(body, padding: padding, into: &output)
        case let .priority(stream, priority):
            FrameHeader(length: 5, type: .priority, flags: 0, streamID: stream).write(into: &output)
            Self.writePriority(priority, into: &output)
        case let .rstStream(stream, code):
            FrameHeader(length: 4, type: .rstStream, flags: 0, streamID: stream).write(into: &output)
            appendUInt32(code, to: &output)
        case let .settings(ack, settings):
            FrameHeader(length: 6 * settings.count, type: .settings, flags: ack ? FrameFlags.ack : 0, streamID: 0).write(into: &output)
            for setting in settings {
                output.append(UInt8(truncatingIfNeeded: setting.identifier >> 8))
                output.append(UInt8(truncatingIfNeeded: setting.identifier))
                appendUInt32(setting.value, to: &output)
            }
        case let .pushPromise(stream, promised, fragment, endHeaders, padding):
            let flags = (endHeaders ? FrameFlags.endHeaders : 0) | (padding != nil ? FrameFlags.padded : 0)
            var body: [UInt8] = []
            appendUInt32(promised, to: &body)
            body += fragment
            FrameHeader(length: body.count + Self.paddingOverhead(padding), type: .pushPromise, flags: flags, streamID: stream).write(into: &output)
            Self.writePadded(body, padding: padding, into: &output)
        case let .ping(ack, opaque):
            FrameHeader(length: 8, type: .ping, flags: ack ? FrameFlags.ack : 0, streamID: 0).write(into: &output)
            appendUInt32(UInt32(truncatingIfNeeded: opaque >> 32), to: &output)
            appendUInt32(UInt32(truncatingIfNeeded: opaque), to: &output)
        case let .goAway(last, code, debugData):
            FrameHeader(length: 8 + debugData.count, type: .goAway, flags: 0, streamID: 0).write(into: &output)
            appendUInt32(last, to: &output)
            appendUInt32(code, to: &output)
            output += debugData
        case let .windowUpdate(stream, increment):
            FrameHeader(length: 4, type: .windowUpdate, flags: 0, streamID: stream).write(into: &output)
            appendUInt32(increment, to: &output)
        case let .continuation(stream, fragment, endHeaders):
            FrameHeader(length: fragment.count, type: .continuation, flags: endHeaders ? FrameFlags.endHeaders : 0, streamID: stream).write(into: &output)
            output += fragment
        case let .unknown(type, flags, stream, length):
            FrameHeader(length: length, type: type, flags: flags, streamID: stream).write(into: &output)
            output += repeatElement(0, count: length)
        }
    }

    private static func paddingOverhead(_ padding: Int?) -> Int { padding.map { $0 + 1 } ?? 0 }

    private static func writePadded(_ body: [UInt8], padding: Int?, into output: inout [UInt8]) {
        if let padding { output.append(UInt8(padding)) }
        output += body
        if let padding { output += repeatElement(0, count: padding) }
    }

    private static func writePriority(_ priority: PriorityFields, into output: inout [UInt8]) {
        appendUInt32(priority.dependency | (priority.exclusive ? 0x8000_0000 : 0), to: &output)
        output.append(priority.weight)
    }
}
