using System.Text.RegularExpressions;

namespace Portal.Web.Runs;

/// <summary>
/// Removes secrets from text before it leaves the runner: every known secret value of the run
/// (target password, secret parameters) and anything shaped like a credential
/// ("password=…", "Authorization: Bearer …", URLs with user:password@).
/// </summary>
public sealed partial class Redactor(IEnumerable<string> secrets)
{
    public const string Mask = "***";

    // Longest first, so a secret that contains another is masked whole.
    private readonly string[] _secrets = [.. secrets.Where(s => s.Length >= 3).Distinct().OrderByDescending(s => s.Length)];

    public string? Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }

        foreach (var secret in _secrets)
        {
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
        }

        text = KeyValueSecret().Replace(text, m => $"{m.Groups["key"].Value}{m.Groups["sep"].Value}{Mask}");
        text = AuthorizationHeader().Replace(text, m => $"{m.Groups["head"].Value}{Mask}");
        return UrlCredentials().Replace(text, m => $"{m.Groups["scheme"].Value}{Mask}@");
    }

    [GeneratedRegex(@"(?<key>\b(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|requirepass|masterauth)\b)(?<sep>\s*[=:]\s*|\s+)(?!\*\*\*)(?:""[^""]*""|'[^']*'|[^\s;,&""']+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex KeyValueSecret();

    [GeneratedRegex(@"(?<head>\b(?:authorization|proxy-authorization|cookie|set-cookie|x-api-key)\s*:\s*(?:bearer\s+|basic\s+)?)\S.*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Multiline)]
    private static partial Regex AuthorizationHeader();

    [GeneratedRegex(@"(?<scheme>\b[a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UrlCredentials();
}
