import EnterpriseModel
import SyncCore

/// Signed, chained change sets on the bureau's side: every change set is signed with the store's
/// key when it is sealed, and names the hash of the one sealed before it (`ChangeSetSeal`), so a
/// retry resends the very bytes that were signed and the province can tell a gap or a fork.
extension Outbox {
    /// The province's error codes for a change set it will not take from this store as signed
    /// or chained: no retry or setting aside helps, an operator must look.
    static let sealRefusals: Set<String> = ["bad_signature", "broken_chain"]

    /// The store's signing key; a store without one gets one, logged with how to register it.
    func signingKey() throws(AgentError) -> SigningKey {
        if let signingKeyStorage { return signingKeyStorage }
        let (key, created) = try store.signingKey()
        if created {
            log("this store had no signing key: created \(store.signingKeyPath) (fingerprint \(key.publicKey.fingerprint)); "
                + "until the province has it, a bureau token with a registered key refuses this store's change sets. Register it: "
                + config.keyRegistrationCommand(key.publicKey))
        }
        signingKeyStorage = key
        return key
    }

    func sign(_ changeSet: inout ChangeSet, after previous: String) throws(AgentError) -> ChangeSetSeal {
        do { return try changeSet.sign(after: previous, with: try signingKey()) } catch {
            throw .corruptState(path: store.signingKeyPath, reason: "\(error)")
        }
    }

    /// Where the next sealed change set goes: its outbox number, and the hash it names as
    /// `previous`. After the newest change set in the outbox when there is one (the state may
    /// have missed it when the agent stopped between the two writes), else after the last one
    /// sealed.
    func nextLink() throws(AgentError) -> (sequence: Int64, previous: String) {
        if let lastSealedHash { return (writer.state.outboxSequence + 1, lastSealedHash) }
        guard let newest = try files().last else { return (writer.state.outboxSequence + 1, writer.state.chainHead ?? "") }
        let number = Int64(newest.prefix(12)) ?? 0
        return (max(writer.state.outboxSequence, number) + 1, try outboxChangeSet(newest).seal.hash)
    }

    func outboxChangeSet(_ name: String) throws(AgentError) -> (changeSet: ChangeSet, seal: ChangeSetSeal) {
        let path = store.outboxPath + "/" + name
        do {
            let json = try JSONValue.parse(try FileSystem.read(path))
            return (try ChangeSet(json: json, path: ""), ChangeSetSeal(json))
        } catch let error as AgentError {
            throw error
        } catch {
            throw .corruptState(path: path, reason: "sealed change set cannot be read (\(error)); move it aside to continue")
        }
    }

    /// Signs again, in order, the outbox's change sets after `removed`, chained from `previous`.
    /// Called when the province did not keep `removed` (refused whole, or split for size): the
    /// ones after it follow what the province did keep. They were never sent — the outbox goes
    /// out in order — so no bytes the province has seen change.
    func rechain(after removed: String, from previous: String) throws(AgentError) {
        try rechain(try files().filter { $0 > removed }, from: previous)
    }

    /// Signs again, in order, the outbox's change sets `names`, chained from `previous`, each
    /// changed by `change` first.
    func rechain(_ names: [String], from previous: String, changing change: (inout ChangeSet) -> Void = { _ in }) throws(AgentError) {
        var head = previous
        for name in names {
            var changeSet = try outboxChangeSet(name).changeSet
            change(&changeSet)
            head = try sign(&changeSet, after: head).hash
            try FileSystem.writeAtomically(store.outboxPath + "/" + name, changeSet.encoded())
        }
        lastSealedHash = head
        writer.state.chainHead = head
        try writer.saveState()
    }

    /// Change sets sealed by an agent from before signing wait unsigned at the front of the
    /// outbox: they are signed, in order, as the start of the store's chain. None of them was
    /// acknowledged, so no signed change set of this store went before them; one the province
    /// received without the agent hearing back is recognised by its id, whatever its signature.
    func signSealedBeforeSigning() throws(AgentError) {
        guard let first = try files().first, try outboxChangeSet(first).changeSet.signature == nil else { return }
        try rechain(after: "", from: "")
        log("signed the change sets sealed before this store signed, as the start of its chain")
    }

    /// The chain head is the newest sealed change set's hash. An agent stopped between writing a
    /// change set and the state leaves the state one behind; once that change set is
    /// acknowledged (and leaves the outbox) the state must have caught up.
    func noteAcknowledged(_ changeSet: ChangeSet) throws(AgentError) {
        guard changeSet.signature != nil, let previous = changeSet.previous, writer.state.chainHead == previous else { return }
        writer.state.chainHead = ChangeSetSeal(changeSet).hash
        try writer.saveState()
    }

    /// The error that stops a push the province refused for its signature or chain, with what
    /// this store can tell about the cause.
    func sealRefused(_ sent: ChangeSet, bytes: [UInt8], path: String, code: String, message: String) throws(AgentError) -> AgentError {
        var text = "push refused: \(message)"
        if code == "bad_signature", sent.signature != nil {
            let key = try signingKey().publicKey
            let asSent = (try? JSONValue.parse(bytes)).map(ChangeSetSeal.init)
            if let asSent, !key.verifies(sent, asSent) {
                text += ". This store finds the same: the outbox file was changed after it was sealed, or sealed with another key"
            } else {
                text += ". It is signed with this store's key \(key.fingerprint); if the store or its key is new, register it: \(config.keyRegistrationCommand(key))"
            }
        }
        return .sealRefused(file: path, message: text)
    }
}
