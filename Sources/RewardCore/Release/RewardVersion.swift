/// The release every executable reports (`--version`, `/healthz`), so that the on-call can tell
/// which build a process runs. Raised with each release; one place, so all executables agree.
public enum RewardVersion {
    public static let current = "0.22.0"
}
