import SyncCore

/// The store's signing key: `.esync/signing-key` (the private key, base64, mode 0600) and
/// `.esync/signing-key.pub` (its public half, which the province registers with the bureau's
/// token). Every change set the store seals is signed with it (see `ChangeSetSeal`).
extension Store {
    public var signingKeyPath: String { statePath + "/signing-key" }
    public var publicKeyPath: String { statePath + "/signing-key.pub" }

    /// The store's key; a store without one (made by an agent before signing, or whose key file
    /// was removed) gets a new one, and `created` says so: it must then be registered at the
    /// province before a token with a registered key accepts the store's change sets.
    public func signingKey() throws(AgentError) -> (key: SigningKey, created: Bool) {
        if FileSystem.exists(signingKeyPath) {
            let text = String(decoding: try FileSystem.read(signingKeyPath), as: UTF8.self)
            do { return (try SigningKey(base64: text), false) } catch {
                throw .corruptState(path: signingKeyPath, reason: "\(error); restore it from a backup, or remove it for a new key that must then be registered at the province")
            }
        }
        let key = SigningKey()
        try FileSystem.writeAtomically(signingKeyPath, Array((key.base64 + "\n").utf8), mode: 0o600)
        try FileSystem.writeAtomically(publicKeyPath, Array((key.publicKey.base64 + "\n").utf8))
        return (key, true)
    }
}
