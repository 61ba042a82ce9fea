/// The static table of RFC 7541 Appendix A: indexes 1–61, shared by every connection.
enum HPACKStaticTable {
    static let entries: [HeaderField] = [
        (":authority", ""), (":method", "GET"), (":method", "POST"), (":path", "/"),
        (":path", "/index.html"), (":scheme", "http"), (":scheme", "https"), (":status", "200"),
        (":status", "204"), (":status", "206"), (":status", "304"), (":status", "400"),
        (":status", "404"), (":status", "500"), ("accept-charset", ""), ("accept-encoding", "gzip, deflate"),
        ("accept-language", ""), ("accept-ranges", ""), ("accept", ""), ("access-control-allow-origin", ""),
        ("age", ""), ("allow", ""), ("authorization", ""), ("cache-control", ""),
        ("content-disposition", ""), ("content-encoding", ""), ("content-language", ""), ("content-length", ""),
        ("content-location", ""), ("content-range", ""), ("content-type", ""), ("cookie", ""),
        ("date", ""), ("etag", ""), ("expect", ""), ("expires", ""),
        ("from", ""), ("host", ""), ("if-match", ""), ("if-modified-since", ""),
        ("if-none-match", ""), ("if-range", ""), ("if-unmodified-since", ""), ("last-modified", ""),
        ("link", ""), ("location", ""), ("max-forwards", ""), ("proxy-authenticate", ""),
        ("proxy-authorization", ""), ("range", ""), ("referer", ""), ("refresh", ""),
        ("retry-after", ""), ("server", ""), ("set-cookie", ""), ("strict-transport-security", ""),
        ("transfer-encoding", ""), ("user-agent", ""), ("vary", ""), ("via", ""),
        ("www-authenticate", ""),
    ].map { HeaderField(name: $0.0, value: $0.1) }

    static var count: Int { entries.count }

    /// 1-based index of the entry with this name and value, for the encoder.
    static let indexOfField: [HeaderField: Int] = {
        var index: [HeaderField: Int] = [:]
        for (offset, field) in entries.enumerated() where index[field] == nil { index[field] = offset + 1 }
        return index
    }()

    /// 1-based index of the first entry with this name (RFC 7541 §2.3.3 lets any do; the first
    /// matches Appendix C's examples).
    static let indexOfName: [String: Int] = {
        var index: [String: Int] = [:]
        for (offset, field) in entries.enumerated() where index[field.name] == nil { index[field.name] = offset + 1 }
        return index
    }()
}
