/// Formats Doubles the way ECMAScript's Number::toString does, as RFC 8785 §3.2.2.3 requires.
enum NumberFormatting {
    /// Appends the ECMAScript (ECMA-262 Number::toString, radix 10) form of `value`.
    ///
    /// The algorithm needs the shortest digit string that round-trips to `value`,
    /// choosing the closest one when several are equally short. Swift's
    /// `Double.description` produces exactly such digits (its documented contract
    /// is the shortest round-tripping representation, nearest to the exact value);
    /// this function re-lays those digits out with ECMAScript's rules for where
    /// the decimal point and exponent go. Non-finite values have no JSON form;
    /// like ECMAScript's JSON.stringify they are written as `null`.
    static func appendECMAScript(_ value: Double, to out: inout [UInt8]) {
        guard value.isFinite else {
            out.append(contentsOf: JSONWriter.nullBytes)
            return
        }
        // Both zeros print as "0" (Number::toString step 2: -0 gives "0").
        if value == 0 {
            out.append(UInt8(ascii: "0"))
            return
        }
        // Integers below 2^53 are exact and print as plain decimal in ECMAScript.
        // (Checked by converting to Int64 and back rather than with `rounded`, which needs libm.)
        if value.magnitude < 9_007_199_254_740_992, Double(Int64(value)) == value {
            JSONWriter.appendInteger(Int64(value), to: &out)
            return
        }
        if value < 0 { out.append(UInt8(ascii: "-")) }

        // Split Swift's description ("123.45", "1e-07", "1.5e+300") into digits and a
        // decimal exponent n such that magnitude = 0.d1d2…dk × 10^n.
        var digits: [UInt8] = []
        digits.reserveCapacity(20)
        var digitsBeforePoint = 0
        var seenPoint = false
        var exponent = 0
        var exponentNegative = false
        var inExponent = false
        for c in value.magnitude.description.utf8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if inExponent {
                    exponent = exponent * 10 + Int(c - UInt8(ascii: "0"))
                } else {
                    digits.append(c)
                    if !seenPoint { digitsBeforePoint += 1 }
                }
            case UInt8(ascii: "."): seenPoint = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"): inExponent = true
            case UInt8(ascii: "-"): exponentNegative = true
            default: break  // "+" in the exponent
            }
        }
        var n = digitsBeforePoint + (exponentNegative ? -exponent : exponent)
        // Leading zeros ("0.001") shift the point; trailing zeros ("100.0") carry no information.
        var leading = 0
        while leading < digits.count - 1 && digits[leading] == UInt8(ascii: "0") { leading += 1 }
        n -= leading
        var end = digits.count
        while end > leading + 1 && digits[end - 1] == UInt8(ascii: "0") { end -= 1 }
        let significant = digits[leading..<end]
        let k = significant.count

        let zero = UInt8(ascii: "0")
        if k <= n && n <= 21 {
            // Integer-valued: digits then n-k zeros.
            out.append(contentsOf: significant)
            out.append(contentsOf: repeatElement(zero, count: n - k))
        } else if 0 < n && n <= 21 {
            // Point inside the digits.
            out.append(contentsOf: significant.prefix(n))
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: significant.dropFirst(n))
        } else if -6 < n && n <= 0 {
            // Small: "0." then -n zeros then the digits.
            out.append(zero)
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: repeatElement(zero, count: -n))
            out.append(contentsOf: significant)
        } else {
            // Exponential: d[.ddd]e±(n-1).
            out.append(significant[significant.startIndex])
            if k > 1 {
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: significant.dropFirst())
            }
            out.append(UInt8(ascii: "e"))
            out.append(n - 1 < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            JSONWriter.appendInteger(Int64((n - 1).magnitude), to: &out)
        }
    }
}
