import Bytes
import RPC

/// The pieces of the gRPC wire protocol over HTTP/2 that are not HTTP/2 itself (the gRPC
/// "PROTOCOL-HTTP2" document): length-prefixed messages, `grpc-timeout`, `grpc-message` encoding.
enum GRPCWire {
    /// Bytes before each message: a compressed flag and a big-endian 32-bit length.
    static let prefixBytes = 5

    /// One length-prefixed message taken from the front of a stream's buffer.
    struct Message {
        let compressed: Bool
        /// A view into the stream's buffer (no copy).
        let bytes: ArraySlice<UInt8>
    }

    enum Framing {
        /// More bytes are needed.
        case incomplete
        /// A whole message, and how many buffer bytes it took.
        case message(Message, consumed: Int)
        /// The declared length is over the limit (the message is refused before it is buffered).
        case tooLarge(Int)
        /// The flag byte is neither 0 nor 1.
        case malformed
    }

    /// The first message in `buffer[start...]`, if it is complete.
    static func nextMessage(in buffer: [UInt8], from start: Int, messageBytesMax: Int) -> Framing {
        guard buffer.count - start >= prefixBytes else { return .incomplete }
        let flag = buffer[start]
        guard flag <= 1 else { return .malformed }
        let length = Int(buffer[start + 1]) << 24 | Int(buffer[start + 2]) << 16 | Int(buffer[start + 3]) << 8 | Int(buffer[start + 4])
        guard length <= messageBytesMax else { return .tooLarge(length) }
        guard buffer.count - start - prefixBytes >= length else { return .incomplete }
        let body = buffer[(start + prefixBytes)..<(start + prefixBytes + length)]
        return .message(Message(compressed: flag == 1, bytes: body), consumed: prefixBytes + length)
    }

    /// `message` with its prefix (never compressed: responses are sent as identity).
    static func framed(_ message: [UInt8]) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: prefixBytes + message.count) { out, count in
            let length = UInt32(message.count)
            out[0] = 0
            out[1] = UInt8(truncatingIfNeeded: length >> 24)
            out[2] = UInt8(truncatingIfNeeded: length >> 16)
            out[3] = UInt8(truncatingIfNeeded: length >> 8)
            out[4] = UInt8(truncatingIfNeeded: length)
            message.withUnsafeBufferPointer { body in
                _ = UnsafeMutableBufferPointer(rebasing: out[prefixBytes...]).initialize(fromContentsOf: body)
            }
            count = prefixBytes + message.count
        }
    }

    /// `grpc-timeout`: 1 to 8 digits and a unit (H, M, S, m, u, n), in milliseconds (rounded up, so
    /// a tiny timeout is not zero); nil when malformed.
    static func timeoutMilliseconds(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 2, bytes.count <= 9, let unit = bytes.last else { return nil }
        let digits = bytes.dropLast()
        guard digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        let value = digits.reduce(Int64(0)) { $0 * 10 + Int64($1 - UInt8(ascii: "0")) }
        switch unit {
        case UInt8(ascii: "H"): return value * 3_600_000
        case UInt8(ascii: "M"): return value * 60_000
        case UInt8(ascii: "S"): return value * 1_000
        case UInt8(ascii: "m"): return value
        case UInt8(ascii: "u"): return (value + 999) / 1_000
        case UInt8(ascii: "n"): return (value + 999_999) / 1_000_000
        default: return nil
        }
    }

    /// `grpc-message`: UTF-8, every byte outside 0x20…0x7E and `%` percent-encoded.
    static func percentEncoded(_ message: String) -> String {
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(message.utf8.count)
        for byte in message.utf8 {
            if byte >= 0x20 && byte <= 0x7E && byte != UInt8(ascii: "%") {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The status's name as grpc-prometheus labels it (`OK`, `NOT_FOUND`).
    static func codeLabel(_ code: RPCCode) -> String {
        code.name.uppercased()
    }

    /// `grpc-status-details-bin`: the `google.rpc.Status` in base64 without padding (binary metadata).
    static func statusDetails(_ status: RPCStatus) -> String {
        Base64.encode(status.serializedBytes, padded: false)
    }
}
