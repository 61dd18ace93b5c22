namespace Portal.Probes.Ssh;

/// <summary>Host key fingerprints as OpenSSH prints them: "SHA256:" + unpadded base64 of the key's SHA-256.</summary>
public static class SshFingerprint
{
    /// <summary>What a fingerprint must look like to be pinned.</summary>
    public const string Pattern = "SHA256:[A-Za-z0-9+/]{43}";

    public static string Format(string unpaddedBase64) => "SHA256:" + unpaddedBase64.TrimEnd('=');

    /// <returns>"SHA256:…" with padding removed, or null when <paramref name="text"/> is not a SHA256 fingerprint.</returns>
    public static string? Normalize(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var value = text.Trim();
        value = value.StartsWith("SHA256:", StringComparison.Ordinal) ? value[7..] : value;
        value = value.TrimEnd('=');
        return value.Length == 43 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '/') ? "SHA256:" + value : null;
    }

    public static bool Same(string? a, string? b) =>
        Normalize(a) is { } x && Normalize(b) is { } y && string.Equals(x, y, StringComparison.Ordinal);
}
