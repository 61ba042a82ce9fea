/// Writing helpers for the Prometheus text exposition format, version 0.0.4.
enum TextFormat {
    /// Appends a Prometheus-parseable number: integers without a fraction or exponent,
    /// `+Inf`/`-Inf`/`NaN` spelled as Prometheus expects, everything else in Swift's
    /// shortest round-trip form (which Go's ParseFloat reads back exactly).
    static func appendNumber(_ value: Double, to output: inout [UInt8]) {
        if value.isNaN {
            appendText("NaN", to: &output)
        } else if value.isInfinite {
            appendText(value > 0 ? "+Inf" : "-Inf", to: &output)
        } else if value.rounded(.towardZero) == value && abs(value) < 1e15 {
            // Below 1e15 every integral Double is exactly an Int64, so this is lossless.
            appendText(String(Int64(value)), to: &output)
        } else {
            appendText(value.description, to: &output)
        }
    }

    static func appendNumber(_ value: UInt64, to output: inout [UInt8]) {
        appendText(String(value), to: &output)
    }

    static func appendText(_ text: String, to output: inout [UInt8]) {
        output.append(contentsOf: text.utf8)
    }

    /// Appends HELP text, escaping backslash and newline as the format requires.
    static func appendHelp(_ help: String, to output: inout [UInt8]) {
        for byte in help.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            default: output.append(byte)
            }
        }
    }

    /// Appends a label value, escaping backslash, double quote and newline.
    static func appendLabelValue(_ value: String, to output: inout [UInt8]) {
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\n"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            default: output.append(byte)
            }
        }
    }

    /// Appends `name{label="value",...} ` (braces only when there are labels), ready for the value.
    static func appendSeries(
        name: String,
        suffix: String = "",
        labelNames: [String],
        labelValues: [String],
        extraLabel: (name: String, value: String)? = nil,
        to output: inout [UInt8]
    ) {
        appendText(name, to: &output)
        appendText(suffix, to: &output)
        if !labelNames.isEmpty || extraLabel != nil {
            output.append(UInt8(ascii: "{"))
            var first = true
            for (labelName, labelValue) in zip(labelNames, labelValues) {
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                appendLabel(name: labelName, value: labelValue, to: &output)
            }
            if let extraLabel {
                if !first { output.append(UInt8(ascii: ",")) }
                appendLabel(name: extraLabel.name, value: extraLabel.value, to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
        output.append(UInt8(ascii: " "))
    }

    private static func appendLabel(name: String, value: String, to output: inout [UInt8]) {
        appendText(name, to: &output)
        output.append(contentsOf: [UInt8(ascii: "="), UInt8(ascii: "\"")])
        appendLabelValue(value, to: &output)
        output.append(UInt8(ascii: "\""))
    }

    /// Whether `name` matches `[a-zA-Z_:][a-zA-Z0-9_:]*`, the metric name syntax.
    static func isValidMetricName(_ name: String) -> Bool {
        isValidName(name, allowsColon: true)
    }

    /// Whether `name` matches `[a-zA-Z_][a-zA-Z0-9_]*` and is not reserved (`__` prefix).
    static func isValidLabelName(_ name: String) -> Bool {
        isValidName(name, allowsColon: false) && !name.hasPrefix("__")
    }

    private static func isValidName(_ name: String, allowsColon: Bool) -> Bool {
        guard !name.isEmpty else { return false }
        for (offset, byte) in name.utf8.enumerated() {
            let isLetter = (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            let isDigit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
            let isAllowedPunctuation = byte == UInt8(ascii: "_") || (allowsColon && byte == UInt8(ascii: ":"))
            guard isLetter || isAllowedPunctuation || (isDigit && offset > 0) else { return false }
        }
        return true
    }
}
