/// Text as it goes into and comes out of a workbook's XML.
///
/// Besides XML's own escapes, Office writes a character XML 1.0 cannot hold (a control
/// character other than tab and line breaks) as `_xHHHH_`, and a literal `_xHHHH_` in the text
/// as `_x005F_xHHHH_`. Both directions are here so that any text a record holds goes through a
/// workbook unchanged.
enum XMLText {
    /// The text escaped for element content and attribute values.
    static func escaped(_ text: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        var scalars = Array(text.unicodeScalars)[...]
        while let scalar = scalars.first {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\r": out += "_x000D_"
            case "_" where escapeLooksLike(scalars):
                out += "_x005F_"
            default:
                if scalar.value < 0x20 && scalar != "\t" && scalar != "\n" || scalar == "\u{FFFE}" || scalar == "\u{FFFF}" {
                    out += "_x" + hex4(scalar.value) + "_"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
            scalars = scalars.dropFirst()
        }
        return out
    }

    /// The text of a string element with Office's `_xHHHH_` escapes decoded.
    static func decoded(_ text: String) -> String {
        guard text.contains("_x") else { return text }
        var out = String.UnicodeScalarView()
        var scalars = Array(text.unicodeScalars)[...]
        while let scalar = scalars.first {
            if scalar == "_", escapeLooksLike(scalars),
               let value = UInt32(String(String.UnicodeScalarView(scalars.dropFirst(2).prefix(4))), radix: 16),
               let decoded = Unicode.Scalar(value) {
                out.append(decoded)
                scalars = scalars.dropFirst(7)
            } else {
                out.append(scalar)
                scalars = scalars.dropFirst()
            }
        }
        return String(out)
    }

    /// Whether the scalars start with `_xHHHH_`.
    private static func escapeLooksLike(_ scalars: ArraySlice<Unicode.Scalar>) -> Bool {
        let head = Array(scalars.prefix(7))
        guard head.count == 7, head[0] == "_", head[1] == "x", head[6] == "_" else { return false }
        return head[2...5].allSatisfy { $0.properties.isASCIIHexDigit }
    }

    private static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
