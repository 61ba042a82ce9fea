/// One field of a header or trailer section: a name (lowercase in HTTP/2) and a value.
///
/// Names and values travel as octets; they become `String`s here, at the edge of the module. Bytes
/// that are not UTF-8 (RFC 9110 allows obs-text in values) turn into U+FFFD; the HPACK table and
/// the header-list size keep counting the octets that were sent.
public struct HeaderField: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    public var description: String { "\(name): \(value)" }
}
