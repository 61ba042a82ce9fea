/// The checks of RFC 9113 §8.2 and §8.3 on a decoded header section: a request (or its
/// trailers) that fails one is malformed, a stream error of type PROTOCOL_ERROR (§8.1.1).
enum RequestValidation {
    /// What a valid request section says about framing.
    struct Request {
        /// The `content-length` value, which the DATA frames must then add up to (§8.1.1).
        var contentLength: Int?
    }

    /// RFC 9110 §5.6.2 tchar without uppercase letters: HTTP/2 field names are lowercase (§8.2).
    @inline(__always)
    private static func isNameOctet(_ octet: UInt8) -> Bool {
        switch octet {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "^"),
             UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Returns the request's framing, or nil when the section is malformed.
    static func checkRequest(_ fields: [HeaderField]) -> Request? {
        var method: String?
        var scheme = false
        var path = false
        var authority = false
        var regularSeen = false
        var contentLength: Int?
        for field in fields {
            guard checkValue(field.value) else { return nil }
            if field.name.utf8.first == UInt8(ascii: ":") {
                // §8.3: pseudo-header fields come first, each at most once, only the defined ones.
                if regularSeen { return nil }
                switch field.name {
                case ":method":
                    if method != nil || field.value.isEmpty { return nil }
                    method = field.value
                case ":scheme":
                    if scheme || field.value.isEmpty { return nil }
                    scheme = true
                case ":path":
                    if path || field.value.isEmpty { return nil }
                    path = true
                case ":authority":
                    if authority { return nil }
                    authority = true
                default:
                    return nil
                }
                continue
            }
            regularSeen = true
            guard checkRegular(field) else { return nil }
            if field.name == "content-length" {
                guard let length = parseContentLength(field.value), contentLength == nil || contentLength == length else { return nil }
                contentLength = length
            }
        }
        guard let method else { return nil }
        if method == "CONNECT" {
            // §8.5: CONNECT names only the authority.
            guard authority, !scheme, !path else { return nil }
        } else {
            guard scheme, path else { return nil }
        }
        return Request(contentLength: contentLength)
    }

    /// Trailers: regular fields only (§8.1).
    static func checkTrailers(_ fields: [HeaderField]) -> Bool {
        fields.allSatisfy { field in
            field.name.utf8.first != UInt8(ascii: ":") && checkValue(field.value) && checkRegular(field)
        }
    }

    /// A regular field's name, and the fields that HTTP/2 forbids (§8.2.2).
    private static func checkRegular(_ field: HeaderField) -> Bool {
        let name = field.name.utf8
        guard !name.isEmpty, allOctets(of: field.name, satisfy: isNameOctet) else { return false }
        // Only names of these lengths can be forbidden ones: most fields skip the comparisons.
        switch name.count {
        case 2:
            return field.name != "te" || field.value == "trailers"
        case 7, 10, 16, 17:
            switch field.name {
            case "connection", "proxy-connection", "keep-alive", "transfer-encoding", "upgrade": return false
            default: return true
            }
        default:
            return true
        }
    }

    /// §8.2.1: no NUL, CR or LF, and no whitespace at either end.
    private static func checkValue(_ value: String) -> Bool {
        let octets = value.utf8
        if let first = octets.first, first == 0x20 || first == 0x09 { return false }
        if let last = octets.last, last == 0x20 || last == 0x09 { return false }
        return allOctets(of: value) { $0 != 0x00 && $0 != 0x0A && $0 != 0x0D }
    }

    /// Runs over the string's UTF-8 storage in place when it has one (native strings do).
    @inline(__always)
    private static func allOctets(of string: String, satisfy predicate: (UInt8) -> Bool) -> Bool {
        if let result = string.utf8.withContiguousStorageIfAvailable({ octets in
            for octet in octets where !predicate(octet) { return false }
            return true
        }) {
            return result
        }
        return string.utf8.allSatisfy(predicate)
    }

    private static func parseContentLength(_ value: String) -> Int? {
        let octets = value.utf8
        guard !octets.isEmpty, octets.count <= 18 else { return nil }
        var length = 0
        for octet in octets {
            guard octet >= 0x30, octet <= 0x39 else { return nil }
            length = length * 10 + Int(octet - 0x30)
        }
        return length
    }
}
