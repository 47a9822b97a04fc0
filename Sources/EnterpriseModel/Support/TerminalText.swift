/// Text a peer wrote (a bureau's `agent` label, a change set id, a record's name), made safe to
/// print on an operator's terminal.
///
/// A terminal acts on control characters instead of showing them: ESC starts sequences that
/// retitle the window (`ESC ] 0 ; … BEL`), clear the screen (`ESC [ 2 J`), move the cursor over
/// lines already printed or, on some terminals, answer back into the input; a C1 character
/// (U+0080…U+009F, e.g. U+009B CSI) does the same in one character on terminals that read them.
/// So every C0 character (tab and line feed included: they would shift a table's columns or
/// forge a line of output), DEL and every C1 character is written as a visible escape instead,
/// `\e` for ESC and `\u{HH}` for the others. The rest of the text, Chinese included, is kept.
/// JSON output gets `json(_:)`, which keeps it the same JSON value.
public enum TerminalText {
    /// True for a scalar a terminal would act on: C0, DEL, C1.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    static func hex(_ scalar: Unicode.Scalar) -> String {
        let digits = String(scalar.value, radix: 16, uppercase: true)
        return digits.count < 2 ? "0" + digits : digits
    }

    /// `text` with its control characters written as escapes; the same text when it has none.
    public static func safe(_ text: some StringProtocol) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return String(text) }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard isControl(scalar) else { out.append(scalar); continue }
            out.append(contentsOf: (scalar == "\u{1B}" ? "\\e" : "\\u{\(hex(scalar))}").unicodeScalars)
        }
        return String(out)
    }

    /// JSON text (as an encoder wrote it, pretty printed or not) with every control character but
    /// its line feeds written as a `\u00HH` escape. An encoder escapes C0 inside strings already
    /// but writes DEL and C1 as they are; outside strings valid JSON holds no control character
    /// but the line feeds (and spaces) of pretty printing. So the result parses to the same value.
    public static func json(_ text: some StringProtocol) -> String {
        guard text.unicodeScalars.contains(where: { isControl($0) && $0 != "\n" }) else { return String(text) }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard isControl(scalar), scalar != "\n" else { out.append(scalar); continue }
            out.append(contentsOf: "\\u00\(hex(scalar))".unicodeScalars)
        }
        return String(out)
    }
}

extension StringProtocol {
    /// This text made safe to print on a terminal (see `TerminalText`).
    public var terminalSafe: String { TerminalText.safe(self) }
}
