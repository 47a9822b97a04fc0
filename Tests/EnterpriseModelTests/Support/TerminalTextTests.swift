import EnterpriseModel
import Foundation
import Testing

@Suite struct TerminalTextTests {
    @Test func controlCharactersBecomeVisibleEscapes() {
        #expect(TerminalText.safe("a\u{1B}]0;pwned\u{07}\u{1B}[2Jb") == #"a\e]0;pwned\u{07}\e[2Jb"#)
        #expect(TerminalText.safe("\u{9B}31m\u{7F}\u{0}\t\n\r") == #"\u{9B}31m\u{7F}\u{00}\u{09}\u{0A}\u{0D}"#)
        #expect("郑州\u{85}".terminalSafe == #"郑州\u{85}"#)
    }

    @Test func ordinaryTextIsKeptAsItIs() {
        for text in ["", "esync-agent/1.4 (linux)", "郑州市中原区 精密机械有限公司", "C:\\data", "emoji 👍 and ¡ (U+00A1)"] {
            #expect(TerminalText.safe(text) == text)
            #expect(TerminalText.json(text) == text)
        }
    }

    /// Escaped JSON parses to the same value, and holds no control character but its line feeds.
    @Test func jsonStaysTheSameValue() throws {
        let value = JSONValue.object(["agent": .string("x\u{1B}[2J\u{7F}\u{9B}y"), "n": .int(1)])
        let pretty = String(decoding: value.prettyBytes(), as: UTF8.self)
        let safe = TerminalText.json(pretty)
        #expect(!safe.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) })
        #expect(try JSONValue.parse(Array(safe.utf8)) == value)
        let foundation = String(decoding: try JSONSerialization.data(withJSONObject: ["a": "\u{7F}\u{9B}"]), as: UTF8.self)
        #expect(try JSONSerialization.jsonObject(with: Data(TerminalText.json(foundation).utf8)) as? [String: String] == ["a": "\u{7F}\u{9B}"])
    }
}
