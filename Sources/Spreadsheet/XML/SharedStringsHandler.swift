/// `xl/sharedStrings.xml`: the strings cells of type `s` point at by index. A string is the
/// text of its `<t>` elements, rich-text runs (`<r><t>`) joined, phonetic guides (`<rPh>`,
/// the furigana or pinyin a spreadsheet may keep beside a name) left out.
final class SharedStringsHandler: XMLPartHandler {
    private(set) var strings: [String] = []
    private var current = ""
    private var inText = false
    private var phonetic = 0

    func start(_ name: String, attributes: [String: String]) {
        switch name {
        case "si": current = ""
        case "rPh": phonetic += 1
        case "t": inText = phonetic == 0
        default: break
        }
    }

    func end(_ name: String) {
        switch name {
        case "si": strings.append(XMLText.decoded(current))
        case "rPh": phonetic -= 1
        case "t": inText = false
        default: break
        }
    }

    func text(_ text: String) {
        if inText { current += text }
    }
}
