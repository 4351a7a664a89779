/// A change to accounts that would leave no enabled admin account (deleting, disabling or demoting the
/// last one) was refused, and nothing was changed. The API answers 409 `LAST_ADMIN`; the control socket
/// says the same to `botvisorctl user ...`.
public struct LastAdminError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The account the change was refused for.
    public var account: String

    public init(account: String) { self.account = account }

    public var description: String {
        "\(account) is the last enabled admin account: add or enable another admin first"
    }
}
