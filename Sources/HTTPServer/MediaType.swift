/// Media types of request bodies (Content-Type values), shared by the doors.
public enum MediaType {
    /// Whether a Content-Type value is `application/json`, with any parameters (`; charset=utf-8`).
    public static func isJSON(_ value: String) -> Bool {
        essence(value) == "application/json"
    }

    /// The type/subtype part, lowercased, without parameters or whitespace (RFC 9110 §8.3.1).
    public static func essence(_ value: String) -> String {
        let type = value.lowercased().split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return type.filter { $0 != " " && $0 != "\t" }
    }
}
