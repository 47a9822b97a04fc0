/// `xl/workbook.xml`: the sheets in their order (name, relationship id, hidden or not) and the
/// date system.
final class WorkbookHandler: XMLPartHandler {
    struct Sheet {
        let name: String
        let relationship: String
        let hidden: Bool
    }

    private(set) var sheets: [Sheet] = []
    private(set) var date1904 = false

    func start(_ name: String, attributes: [String: String]) {
        switch name {
        case "sheet":
            guard let sheetName = attributes["name"], let id = attributes.attribute("id") else { return }
            let state = attributes["state"] ?? "visible"
            sheets.append(Sheet(name: sheetName, relationship: id, hidden: state != "visible"))
        case "workbookPr":
            date1904 = ["1", "true"].contains(attributes["date1904"]?.lowercased() ?? "")
        default:
            break
        }
    }

    func end(_ name: String) {}
    func text(_ text: String) {}
}
