import Foundation
@testable import Spreadsheet
import Testing

@Suite("XML text")
struct XMLTextTests {
    @Test("markup, control characters and Office's own escapes go through a workbook unchanged")
    func roundTrip() {
        for text in ["<a href=\"x\">&amp;</a>", "line\r\nbreak\ttab", "bell\u{07}", "_x0041_ literal", "洛阳_x_", "a_b"] {
            #expect(XMLText.decoded(unescapedXML(XMLText.escaped(text))) == text, "\(text)")
        }
        #expect(XMLText.escaped("a\rb") == "a_x000D_b")
        #expect(XMLText.escaped("_x0041_") == "_x005F_x0041_")
        #expect(XMLText.decoded("_x000D__x0041_") == "\rA")
    }

    /// What an XML parser hands over for the escaped text.
    func unescapedXML(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
    }
}
