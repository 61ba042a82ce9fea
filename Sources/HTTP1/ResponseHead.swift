import Bytes
import Timing

/// Writes response heads as bytes (RFC 9112 §4, RFC 9110 §15).
public enum ResponseHead {
    /// The reason phrase for the statuses this server sends.
    public static func reason(_ status: Int) -> StaticString {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 417: "Expectation Failed"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        case 505: "HTTP Version Not Supported"
        default: "Unknown"
        }
    }

    /// `HTTP/1.1 <status> <reason>\r\n`.
    @inline(__always)
    public static func writeStatusLine(_ status: Int, into buffer: ByteBuffer) {
        buffer.write("HTTP/1.1 ")
        buffer.writeDecimal(status)
        buffer.writeByte(0x20)
        buffer.write(reason(status))
        buffer.write("\r\n")
    }

    /// `name: value\r\n`.
    @inline(__always)
    public static func writeHeader(_ name: StaticString, _ value: StaticString, into buffer: ByteBuffer) {
        buffer.write(name)
        buffer.write(": ")
        buffer.write(value)
        buffer.write("\r\n")
    }

    @inline(__always)
    public static func writeHeader(_ name: StaticString, _ value: String, into buffer: ByteBuffer) {
        buffer.write(name)
        buffer.write(": ")
        buffer.write(value)
        buffer.write("\r\n")
    }

    @inline(__always)
    public static func writeHeader(_ name: StaticString, decimal value: Int, into buffer: ByteBuffer) {
        buffer.write(name)
        buffer.write(": ")
        buffer.writeDecimal(value)
        buffer.write("\r\n")
    }
}

/// The `date:` header line, formatted once per second per loop (RFC 9110 §6.6.1).
public struct DateCache {
    public private(set) var line: [UInt8] = []
    private var seconds: Int64 = -1

    public init() {}

    /// Reformats the line when the second has changed.
    public mutating func update(wallSeconds: Int64) {
        guard wallSeconds != seconds else { return }
        seconds = wallSeconds
        line.removeAll(keepingCapacity: true)
        line.append(contentsOf: "date: ".utf8)
        HTTPDate.append(seconds: wallSeconds, to: &line)
        line.append(contentsOf: "\r\n".utf8)
    }
}
